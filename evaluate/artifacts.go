package evaluate

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
)

// Artifact file names, as MLflow's default evaluator logs them.
const (
	PerClassMetricsFile = "per_class_metrics.csv"
	ConfusionMatrixFile = "confusion_matrix.png"
	ROCCurveFile        = "roc_curve_plot.png"
	PRCurveFile         = "precision_recall_curve_plot.png"
)

// WriteArtifacts writes the result's artifacts into dir, which must exist,
// and returns their file names: for a classifier confusion_matrix.png, with
// probabilities roc_curve_plot.png and precision_recall_curve_plot.png, and
// for a multiclass one per_class_metrics.csv (MLflow logs it only for
// multiclass problems). A regressor has none; an LLM evaluation of a model
// ([Model] with an LLM model type) has eval_results_table.json.
func (r *Result) WriteArtifacts(dir string) ([]string, error) {
	if r.evalTable != nil {
		if err := writeEvalTable(filepath.Join(dir, EvalTableFile), r.evalTable); err != nil {
			return nil, fmt.Errorf("writing artifact %s: %w", EvalTableFile, err)
		}
		return []string{EvalTableFile}, nil
	}
	if r.ModelType != Classifier {
		return nil, nil
	}
	var names []string
	write := func(name string, data []byte) error {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("writing artifact %s: %w", name, err)
		}
		names = append(names, name)
		return nil
	}
	if len(r.PerClass) > 0 {
		if err := write(PerClassMetricsFile, r.perClassCSV()); err != nil {
			return names, err
		}
	}
	plots := []namedPlot{{ConfusionMatrixFile, func() (*plot.Plot, error) { return confusionPlot(r), nil }}}
	if len(r.ROC) > 0 {
		plots = append(plots,
			namedPlot{ROCCurveFile, func() (*plot.Plot, error) { return curvePlot(r, true) }},
			namedPlot{PRCurveFile, func() (*plot.Plot, error) { return curvePlot(r, false) }})
	}
	for _, pl := range plots {
		p, err := pl.make()
		if err != nil {
			return names, fmt.Errorf("drawing %s: %w", pl.name, err)
		}
		var buf bytes.Buffer
		if err := writePNG(&buf, p); err != nil {
			return names, fmt.Errorf("drawing %s: %w", pl.name, err)
		}
		if err := write(pl.name, buf.Bytes()); err != nil {
			return names, err
		}
	}
	return names, nil
}

type namedPlot struct {
	name string
	make func() (*plot.Plot, error)
}

// perClassCSV is MLflow's per_class_metrics.csv: pandas' to_csv(index=False)
// of one row per class, integers as integers and floats as Python's repr.
func (r *Result) perClassCSV() []byte {
	withAUC := false
	for _, c := range r.PerClass {
		withAUC = withAUC || c.ROCAUC != nil
	}
	header := []string{"positive_class", "true_negatives", "false_positives", "false_negatives",
		"true_positives", "example_count", "accuracy_score", "recall_score", "precision_score", "f1_score"}
	if withAUC {
		header = append(header, "roc_auc", "precision_recall_auc")
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	for _, c := range r.PerClass {
		row := []string{c.Label,
			strconv.FormatInt(c.TrueNegatives, 10), strconv.FormatInt(c.FalsePositives, 10),
			strconv.FormatInt(c.FalseNegatives, 10), strconv.FormatInt(c.TruePositives, 10),
			strconv.Itoa(c.ExampleCount),
			pyFloatRepr(c.Accuracy), pyFloatRepr(c.Recall), pyFloatRepr(c.Precision), pyFloatRepr(c.F1)}
		if withAUC {
			row = append(row, optRepr(c.ROCAUC), optRepr(c.PRAUC))
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

func optRepr(v *float64) string {
	if v == nil {
		return "" // pandas writes NaN as an empty field
	}
	return pyFloatRepr(*v)
}
