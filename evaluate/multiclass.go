package evaluate

import "math"

func (e *eval) multiclass(r *Result, p [][]float64) {
	k := len(e.labels)
	r.Labels = e.labels
	r.Confusion = e.conf
	r.PerClass = make([]ClassMetrics, k)
	n := int64(len(e.t))
	// weighted averages over unique_labels(y_true, y_pred), weights = support
	var precs, recs, f1s, support []float64
	for c := range k {
		tp, pred, truth := e.counts(c)
		precision, recall, f1 := prf(tp, pred, truth)
		fp, fn := pred-tp, truth-tp
		tn := n - tp - fp - fn
		r.PerClass[c] = ClassMetrics{
			Label: e.labels[c], TrueNegatives: tn, FalsePositives: fp, FalseNegatives: fn, TruePositives: tp,
			ExampleCount: len(e.t), Accuracy: float64(tp+tn) / float64(n),
			Precision: precision, Recall: recall, F1: f1,
		}
		if e.present[c] {
			precs, recs, f1s = append(precs, precision), append(recs, recall), append(f1s, f1)
			support = append(support, float64(truth))
		}
	}
	r.set("example_count", float64(n))
	r.set("accuracy_score", e.accuracy())
	r.set("recall_score", weightedAverage(recs, support))
	r.set("precision_score", weightedAverage(precs, support))
	r.set("f1_score", weightedAverage(f1s, support))
	if p == nil {
		return
	}
	r.set("log_loss", e.logLoss(p))
	e.ovrAUC(r, p)
	if k > MaxClassesForCurves {
		r.warnf("per-class ROC and precision-recall curves left out: %d classes, more than %d", k, MaxClassesForCurves)
		return
	}
	for c := range k {
		isPos, score := e.oneVsRest(p, c)
		roc, pr, ok := binaryCurves(e.labels[c], isPos, score)
		if !ok {
			r.warnf("class %q: ROC and precision-recall curves left out: it is never or always the true label", e.labels[c])
			continue
		}
		r.ROC, r.PR = append(r.ROC, roc), append(r.PR, pr)
		r.PerClass[c].ROCAUC, r.PerClass[c].PRAUC = &roc.AUC, &pr.AUC
	}
}

func (e *eval) oneVsRest(p [][]float64, c int) ([]bool, []float64) {
	isPos := make([]bool, len(e.t))
	score := make([]float64, len(e.t))
	for i := range e.t {
		isPos[i] = e.t[i] == c
		score[i] = p[i][c]
	}
	return isPos, score
}

// ovrAUC is roc_auc_score(y_true, p, multi_class="ovr", average="weighted").
// sklearn raises when a label never occurs in y_true (its column count must
// equal the classes in y_true) or when rows do not sum to 1 (np.allclose).
func (e *eval) ovrAUC(r *Result, p [][]float64) {
	support := make([]float64, len(e.labels))
	for _, t := range e.t {
		support[t]++
	}
	var absent []string
	for c, s := range support {
		if s == 0 {
			absent = append(absent, e.labels[c])
		}
	}
	if len(absent) > 0 {
		r.warnf("roc_auc left out: labels %s never occur in the targets; one-vs-rest ROC AUC needs every class among them", quoteList(absent))
		return
	}
	for i, row := range p {
		s := 0.0
		for _, v := range row {
			s += v
		}
		if math.Abs(1-s) > 1e-8+1e-5*math.Abs(s) {
			r.warnf("roc_auc left out: row %d's probabilities sum to %v, not 1", i, s)
			return
		}
	}
	aucs := make([]float64, len(e.labels))
	for c := range e.labels {
		isPos, score := e.oneVsRest(p, c)
		fpr, tpr, _, ok := rocCurve(isPos, score)
		if !ok {
			// a class that is every target: no negatives (only with
			// one class in y_true, which needs a second label in y_pred)
			r.warnf("roc_auc left out: class %q is every target", e.labels[c])
			return
		}
		aucs[c], _ = auc(fpr, tpr)
	}
	r.set("roc_auc", weightedAverage(aucs, support))
}
