package evaluate

import (
	"fmt"
	"math"
	"strconv"

	"github.com/berthml/berth/evaluate/llm"
)

// ModelType is the kind of model evaluated, as MLflow's model_type names it.
type ModelType string

// The model types MLflow's default evaluator supports.
const (
	Classifier ModelType = "classifier"
	Regressor  ModelType = "regressor"
)

// MaxClassesForCurves is the most classes for which a multiclass evaluation
// draws one-vs-rest ROC and precision-recall curves: MLflow's
// max_classes_for_multiclass_roc_pr default.
const MaxClassesForCurves = 10

// Result is one evaluation.
type Result struct {
	ModelType ModelType
	// Metrics under MLflow's names; MetricNames lists them in MLflow's order.
	// Every value is finite: a metric that cannot be computed is left out,
	// and Warnings says why.
	Metrics map[string]float64

	// Classifier only.

	// Labels are the classes in MLflow's label_list order: sorted (by value
	// when every label is a number), and for a binary problem the positive
	// label last.
	Labels []string
	// PosLabel is the positive label of a binary problem.
	PosLabel string
	// Confusion counts rows by true label (row) and predicted label (column),
	// both in Labels order.
	Confusion [][]int64
	// PerClass holds the one-vs-rest metrics of each label of a multiclass
	// problem, in Labels order (per_class_metrics.csv).
	PerClass []ClassMetrics
	// ROC and PR hold one curve for a binary problem, one per class (one vs
	// rest) for a multiclass one, and none without probabilities.
	ROC, PR []Curve

	// evalTable is an LLM evaluation's eval_results_table.json, which
	// WriteArtifacts writes.
	evalTable *llm.Table

	// Warnings say which metrics were left out and why.
	Warnings []string

	names []string
}

// ClassMetrics are the one-vs-rest metrics of one class: MLflow's
// per_class_metrics.csv row.
type ClassMetrics struct {
	Label                                                        string
	TrueNegatives, FalsePositives, FalseNegatives, TruePositives int64
	ExampleCount                                                 int
	Accuracy, Precision, Recall, F1                              float64
	// ROCAUC and PRAUC (average precision) are nil without probabilities, with
	// more than MaxClassesForCurves classes, or when the class is never or
	// always the true label.
	ROCAUC, PRAUC *float64
}

// MetricNames returns the names in Metrics in the order MLflow computes them.
func (r *Result) MetricNames() []string {
	out := make([]string, 0, len(r.names))
	for _, n := range r.names {
		if _, ok := r.Metrics[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

func (r *Result) set(name string, v float64) {
	if r.Metrics == nil {
		r.Metrics = map[string]float64{}
	}
	if _, dup := r.Metrics[name]; !dup {
		r.names = append(r.names, name)
	}
	r.Metrics[name] = v
}

func (r *Result) warnf(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// FormatMetric writes a metric for people: counts as integers, other
// values with 6 significant digits.
func FormatMetric(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}
