package evaluate

import (
	"cmp"
	"slices"

	"github.com/berthml/berth/internal/numpy"
)

// Curve is one ROC or precision-recall curve.
// ROC: X is the false positive rate, Y the true positive rate, AUC the ROC AUC
// (sklearn.metrics.roc_auc_score). PR: X is recall, Y precision, and AUC is the
// average precision (sklearn.metrics.average_precision_score), which is what
// MLflow logs as precision_recall_auc.
type Curve struct {
	Label      string // the positive class
	X, Y       []float64
	Thresholds []float64 // as sklearn returns them: ROC one per point, the first max score + 1; PR one per point but the last
	AUC        float64
}

// binaryClfCurve is sklearn.metrics._ranking._binary_clf_curve without sample
// weights: false and true positive counts at each distinct score, highest
// score first.
func binaryClfCurve(pos []bool, score []float64) (fps, tps, thresholds []float64) {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	// np.argsort(kind="mergesort")[::-1]; the order inside a run of equal
	// scores does not change the counts taken at the end of the run, so any
	// sort will do.
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	var cum float64
	for k, i := range idx {
		if pos[i] {
			cum++
		}
		last := k == len(idx)-1
		if last || score[idx[k+1]] != score[i] {
			tps = append(tps, cum)
			fps = append(fps, float64(k+1)-cum)
			thresholds = append(thresholds, score[i])
		}
	}
	return fps, tps, thresholds
}

// rocCurve is sklearn.metrics.roc_curve(drop_intermediate=True). ok is false
// when pos holds only one class (sklearn answers NaN rates and roc_auc_score
// raises).
func rocCurve(pos []bool, score []float64) (fpr, tpr, thr []float64, ok bool) {
	fps, tps, thresholds := binaryClfCurve(pos, score)
	if len(fps) > 2 {
		// keep the ends and every point where the second difference of fps or tps is non-zero
		keep := []int{0}
		for i := 1; i < len(fps)-1; i++ {
			d2f := (fps[i+1] - fps[i]) - (fps[i] - fps[i-1])
			d2t := (tps[i+1] - tps[i]) - (tps[i] - tps[i-1])
			if d2f != 0 || d2t != 0 {
				keep = append(keep, i)
			}
		}
		keep = append(keep, len(fps)-1)
		f, t, th := make([]float64, len(keep)), make([]float64, len(keep)), make([]float64, len(keep))
		for j, i := range keep {
			f[j], t[j], th[j] = fps[i], tps[i], thresholds[i]
		}
		fps, tps, thresholds = f, t, th
	}
	fps = append([]float64{0}, fps...)
	tps = append([]float64{0}, tps...)
	thr = append([]float64{thresholds[0] + 1}, thresholds...)
	nNeg, nPos := fps[len(fps)-1], tps[len(tps)-1]
	if nNeg <= 0 || nPos <= 0 {
		return nil, nil, nil, false
	}
	fpr = make([]float64, len(fps))
	tpr = make([]float64, len(tps))
	for i := range fps {
		fpr[i] = fps[i] / nNeg
		tpr[i] = tps[i] / nPos
	}
	return fpr, tpr, thr, true
}

// prCurve is sklearn.metrics.precision_recall_curve: precision and recall from
// the lowest threshold up, ending at (recall 0, precision 1).
func prCurve(pos []bool, score []float64) (precision, recall, thr []float64) {
	fps, tps, thresholds := binaryClfCurve(pos, score)
	n := len(tps)
	precision = make([]float64, n+1)
	recall = make([]float64, n+1)
	thr = make([]float64, n)
	total := tps[n-1]
	for i := 0; i < n; i++ {
		j := n - 1 - i // reversed
		if ps := tps[j] + fps[j]; ps != 0 {
			precision[i] = tps[j] / ps
		}
		if total == 0 {
			recall[i] = 1 // sklearn warns "No positive class found in y_true"
		} else {
			recall[i] = tps[j] / total
		}
		thr[i] = thresholds[j]
	}
	precision[n], recall[n] = 1, 0
	return precision, recall, thr
}

// averagePrecision is sklearn.metrics.average_precision_score for a binary
// problem: -sum(diff(recall) * precision[:-1]).
func averagePrecision(precision, recall []float64) float64 {
	terms := make([]float64, len(recall)-1)
	for i := range terms {
		terms[i] = (recall[i+1] - recall[i]) * precision[i]
	}
	return -numpy.PairwiseSum(terms)
}

// binaryCurves computes the ROC and PR curves of one positive class and their
// areas. ok is false when pos does not hold both classes.
func binaryCurves(label string, pos []bool, score []float64) (roc, pr Curve, ok bool) {
	fpr, tpr, rthr, ok := rocCurve(pos, score)
	if !ok {
		return Curve{}, Curve{}, false
	}
	rocAUC, ok := auc(fpr, tpr)
	if !ok {
		return Curve{}, Curve{}, false
	}
	precision, recall, pthr := prCurve(pos, score)
	roc = Curve{Label: label, X: fpr, Y: tpr, Thresholds: rthr, AUC: rocAUC}
	pr = Curve{Label: label, X: recall, Y: precision, Thresholds: pthr, AUC: averagePrecision(precision, recall)}
	return roc, pr, true
}
