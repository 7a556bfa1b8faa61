package evaluate

import (
	"math"
	"slices"
	"strings"

	"github.com/berthml/berth/internal/numpy"
)

// Classify evaluates a classifier's predictions the way MLflow's default
// classifier evaluator does.
//
// yTrue and yPred are labels as text ("0", "1", "setosa"). proba may be nil;
// else proba[i][j] is the probability of classes[j] for row i, and classes are
// the model's classes. posLabel is the positive label of a binary problem; ""
// means MLflow's default, the last of the sorted labels (1 for 0/1 labels); a
// multiclass problem ignores it, with a warning.
//
// The labels are the sorted union of yTrue, yPred and classes (MLflow infers
// np.unique(y_true ∪ y_pred); the model's classes play the part of its
// label_list option). Two labels make a binary problem: true_negatives …
// true_positives, accuracy_score, recall_score, precision_score, f1_score,
// and with probabilities log_loss, roc_auc and precision_recall_auc (the
// average precision, as MLflow logs it). More make a multiclass one: the
// support-weighted averages, log_loss, and the one-vs-rest roc_auc weighted by
// support, plus PerClass and one-vs-rest curves.
//
// Precision, recall and F1 of a class never predicted (or never true) are 0,
// as sklearn's zero_division="warn" gives them. true_negatives … true_positives
// count in sorted label order whatever posLabel is, as MLflow's
// confusion_matrix(y_true, y_pred).ravel() does; a binary problem's curves
// score posLabel's own probability column (MLflow takes column 1, the same
// column for the default posLabel).
func Classify(yTrue, yPred []string, proba [][]float64, classes []string, posLabel string) (*Result, error) {
	n := len(yTrue)
	if n == 0 {
		return nil, inputErr(ErrEmpty, "y_true", "no rows to evaluate")
	}
	if len(yPred) != n {
		return nil, inputErr(ErrLength, "y_pred", "%d predictions for %d targets", len(yPred), n)
	}
	for i := range n {
		if yTrue[i] == "" {
			return nil, inputErr(ErrLabel, "y_true", "row %d: empty label", i)
		}
		if yPred[i] == "" {
			return nil, inputErr(ErrLabel, "y_pred", "row %d: empty label", i)
		}
	}
	if proba != nil {
		if err := checkProba(proba, classes, n); err != nil {
			return nil, err
		}
	}
	sets := [][]string{yTrue, yPred}
	if proba != nil {
		sets = append(sets, classes)
	}
	labels, err := Labels(sets...)
	if err != nil {
		return nil, err
	}
	if len(labels) < 2 {
		return nil, inputErr(ErrSingleClass, "y_true", "every target and prediction is %q; a classifier evaluation needs at least two classes", labels[0])
	}
	pos := 1 // MLflow: pos_label None -> label_list[-1]
	if len(labels) == 2 && posLabel != "" {
		if pos = slices.Index(labels, posLabel); pos < 0 {
			return nil, inputErr(ErrLabel, "pos_label", "%q is not one of the labels %s", posLabel, quoteList(labels))
		}
	}

	e := newEval(yTrue, yPred, labels)
	r := &Result{ModelType: Classifier}
	var p [][]float64
	if proba != nil {
		p = e.probaInLabelOrder(r, proba, classes)
	}
	if len(labels) == 2 {
		e.binary(r, p, pos)
	} else {
		if posLabel != "" {
			r.warnf("pos_label %q ignored: %d classes make a multiclass problem", posLabel, len(labels))
		}
		e.multiclass(r, p)
	}
	return r, nil
}

func checkProba(proba [][]float64, classes []string, n int) error {
	if len(classes) == 0 {
		return inputErr(ErrProbabilities, "classes", "probabilities given without their classes")
	}
	seen := map[string]bool{}
	for _, c := range classes {
		if c == "" {
			return inputErr(ErrLabel, "classes", "empty class label")
		}
		if seen[c] {
			return inputErr(ErrLabel, "classes", "class %q listed twice", c)
		}
		seen[c] = true
	}
	if len(proba) != n {
		return inputErr(ErrLength, "proba", "%d probability rows for %d targets", len(proba), n)
	}
	for i, row := range proba {
		if len(row) != len(classes) {
			return inputErr(ErrProbabilities, "proba", "row %d: %d probabilities for %d classes", i, len(row), len(classes))
		}
		for j, v := range row {
			if !isFinite(v) || v < 0 {
				return inputErr(ErrProbabilities, "proba", "row %d: probability of class %q is %v; want a finite number >= 0", i, classes[j], v)
			}
		}
	}
	return nil
}

// eval holds the encoded labels of one classification.
type eval struct {
	labels  []string // sorted
	t, p    []int    // label index per row
	conf    [][]int64
	present []bool // label occurs in y_true or y_pred
}

func newEval(yTrue, yPred []string, labels []string) *eval {
	idx := make(map[string]int, len(labels))
	for i, l := range labels {
		idx[l] = i
	}
	k := len(labels)
	e := &eval{labels: labels, t: make([]int, len(yTrue)), p: make([]int, len(yTrue)), present: make([]bool, k)}
	e.conf = make([][]int64, k)
	for i := range e.conf {
		e.conf[i] = make([]int64, k)
	}
	for i := range yTrue {
		e.t[i], e.p[i] = idx[yTrue[i]], idx[yPred[i]]
		e.conf[e.t[i]][e.p[i]]++
		e.present[e.t[i]], e.present[e.p[i]] = true, true
	}
	return e
}

// probaInLabelOrder reorders the probability columns into label order, or
// returns nil (with a warning) when a label has no column: sklearn's log_loss
// and roc_auc_score raise then.
func (e *eval) probaInLabelOrder(r *Result, proba [][]float64, classes []string) [][]float64 {
	if len(classes) != len(e.labels) {
		var missing []string
		for _, l := range e.labels {
			if !slices.Contains(classes, l) {
				missing = append(missing, l)
			}
		}
		r.warnf("log_loss, roc_auc and curves left out: labels %s have no probability column (model classes %s)", quoteList(missing), quoteList(classes))
		return nil
	}
	col := make([]int, len(e.labels))
	for j, l := range e.labels {
		col[j] = slices.Index(classes, l)
	}
	out := make([][]float64, len(proba))
	for i, row := range proba {
		o := make([]float64, len(col))
		for j, c := range col {
			o[j] = row[c]
		}
		out[i] = o
	}
	return out
}

func (e *eval) counts(c int) (tp, pred, truth int64) {
	for j := range e.labels {
		pred += e.conf[j][c]
		truth += e.conf[c][j]
	}
	return e.conf[c][c], pred, truth
}

// prf is sklearn's precision, recall and F1 of one class with
// zero_division="warn": an undefined ratio is 0.
func prf(tp, pred, truth int64) (precision, recall, f1 float64) {
	if pred != 0 {
		precision = float64(tp) / float64(pred)
	}
	if truth != 0 {
		recall = float64(tp) / float64(truth)
	}
	denom := precision + recall
	if denom == 0 {
		denom = 1
	}
	return precision, recall, 2 * precision * recall / denom
}

func (e *eval) accuracy() float64 {
	var correct int64
	for i := range e.labels {
		correct += e.conf[i][i]
	}
	return float64(correct) / float64(len(e.t))
}

// logLoss is sklearn.metrics.log_loss(y_true, p, labels=labels) with
// eps = float64 machine epsilon: clip to [eps, 1-eps], renormalise each row,
// average -log p(true class).
func (e *eval) logLoss(p [][]float64) float64 {
	loss := make([]float64, len(p))
	row := make([]float64, len(e.labels))
	for i, pr := range p {
		for j, v := range pr {
			row[j] = min(max(v, eps64), 1-eps64)
		}
		loss[i] = -math.Log(row[e.t[i]] / numpy.PairwiseSum(row))
	}
	return mean(loss)
}

func (e *eval) binary(r *Result, p [][]float64, pos int) {
	neg := 1 - pos
	r.Labels = []string{e.labels[neg], e.labels[pos]}
	r.PosLabel = e.labels[pos]
	order := []int{neg, pos}
	r.Confusion = make([][]int64, 2)
	for i, ti := range order {
		r.Confusion[i] = []int64{e.conf[ti][order[0]], e.conf[ti][order[1]]}
	}
	// MLflow: tn, fp, fn, tp = confusion_matrix(y_true, y_pred).ravel(), i.e.
	// in sorted label order whatever pos_label is.
	r.set("true_negatives", float64(e.conf[0][0]))
	r.set("false_positives", float64(e.conf[0][1]))
	r.set("false_negatives", float64(e.conf[1][0]))
	r.set("true_positives", float64(e.conf[1][1]))
	r.set("example_count", float64(len(e.t)))
	r.set("accuracy_score", e.accuracy())
	precision, recall, f1 := prf(e.counts(pos))
	r.set("recall_score", recall)
	r.set("precision_score", precision)
	r.set("f1_score", f1)
	if p == nil {
		return
	}
	r.set("log_loss", e.logLoss(p))
	isPos := make([]bool, len(e.t))
	score := make([]float64, len(e.t))
	for i := range e.t {
		isPos[i] = e.t[i] == pos
		score[i] = p[i][pos]
	}
	roc, pr, ok := binaryCurves(e.labels[pos], isPos, score)
	if !ok {
		r.warnf("roc_auc and precision_recall_auc left out: every target is %q, and ROC AUC needs both classes", e.labels[e.t[0]])
		return
	}
	r.set("roc_auc", roc.AUC)
	r.set("precision_recall_auc", pr.AUC)
	r.ROC, r.PR = []Curve{roc}, []Curve{pr}
}

func quoteList(ls []string) string {
	q := make([]string, len(ls))
	for i, l := range ls {
		q[i] = `"` + l + `"`
	}
	return "[" + strings.Join(q, ", ") + "]"
}
