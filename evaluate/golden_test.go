package evaluate_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/berthml/berth/evaluate"
)

// golden.json is written by testdata/evaluate/make_golden.py with Debian's
// scikit-learn 1.2.1.
var goldenPath = filepath.Join("..", "testdata", "evaluate", "golden.json")

type goldenCurve struct {
	Label string    `json:"label"`
	X     []float64 `json:"x"`
	Y     []float64 `json:"y"`
	AUC   float64   `json:"auc"`
}

type goldenCase struct {
	Name      string             `json:"name"`
	ModelType string             `json:"model_type"`
	YTrue     json.RawMessage    `json:"y_true"`
	YPred     json.RawMessage    `json:"y_pred"`
	Proba     [][]float64        `json:"proba"`
	Classes   []string           `json:"classes"`
	PosLabel  string             `json:"pos_label"`
	Metrics   map[string]float64 `json:"metrics"`
	Labels    []string           `json:"labels"`
	Confusion [][]int64          `json:"confusion"`
	PerClass  []map[string]any   `json:"per_class"`
	ROC       []goldenCurve      `json:"roc"`
	PR        []goldenCurve      `json:"pr"`
}

// expectWarnings counts the warnings a golden case gives.
var expectWarnings = map[string]int{
	"multiclass_12_classes": 1, // no per-class curves above MaxClassesForCurves
}

func loadGolden(t testing.TB) []goldenCase {
	t.Helper()
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g.Cases
}

// tol is the golden tolerance: 1e-9 absolute for values up to 1 in
// magnitude, 1e-9 relative above (MAPE with a zero target is ~1e14).
func close(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

func evaluateCase(t *testing.T, c goldenCase) *evaluate.Result {
	t.Helper()
	var (
		r   *evaluate.Result
		err error
	)
	switch c.ModelType {
	case "classifier":
		var yt, yp []string
		mustUnmarshal(t, c.YTrue, &yt)
		mustUnmarshal(t, c.YPred, &yp)
		r, err = evaluate.Classify(yt, yp, c.Proba, c.Classes, c.PosLabel)
	case "regressor":
		var yt, yp []float64
		mustUnmarshal(t, c.YTrue, &yt)
		mustUnmarshal(t, c.YPred, &yp)
		r, err = evaluate.Regress(yt, yp)
	default:
		t.Fatalf("model type %q", c.ModelType)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenSklearn(t *testing.T) {
	inexact := 0
	t.Cleanup(func() { t.Logf("%d metrics within tolerance but not bit-equal to sklearn's", inexact) })
	for _, c := range loadGolden(t) {
		t.Run(c.Name, func(t *testing.T) {
			r := evaluateCase(t, c)
			if len(r.Warnings) != expectWarnings[c.Name] {
				t.Errorf("warnings: %q", r.Warnings)
			}
			for name, want := range c.Metrics {
				got, ok := r.Metrics[name]
				if !ok {
					t.Errorf("%s missing", name)
				} else if !close(got, want) {
					t.Errorf("%s = %.17g, sklearn %.17g (diff %.3g)", name, got, want, got-want)
				} else if got != want {
					inexact++
					t.Logf("%s = %.17g, sklearn %.17g (diff %.3g)", name, got, want, got-want)
				}
			}
			for name := range r.Metrics {
				if _, ok := c.Metrics[name]; !ok {
					t.Errorf("%s = %v, not in MLflow's metrics", name, r.Metrics[name])
				}
			}
			if c.ModelType != "classifier" {
				return
			}
			if !slices.Equal(r.Labels, c.Labels) {
				t.Errorf("labels %q, want %q", r.Labels, c.Labels)
			}
			if !slices.EqualFunc(r.Confusion, c.Confusion, slices.Equal) {
				t.Errorf("confusion %v, want %v", r.Confusion, c.Confusion)
			}
			checkPerClass(t, r.PerClass, c.PerClass)
			checkCurves(t, "roc", r.ROC, c.ROC)
			checkCurves(t, "pr", r.PR, c.PR)
		})
	}
}

func checkPerClass(t *testing.T, got []evaluate.ClassMetrics, want []map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d per-class rows, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Label != w["positive_class"] {
			t.Errorf("row %d: class %q, want %v", i, g.Label, w["positive_class"])
		}
		vals := map[string]float64{
			"true_negatives": float64(g.TrueNegatives), "false_positives": float64(g.FalsePositives),
			"false_negatives": float64(g.FalseNegatives), "true_positives": float64(g.TruePositives),
			"example_count": float64(g.ExampleCount), "accuracy_score": g.Accuracy,
			"recall_score": g.Recall, "precision_score": g.Precision, "f1_score": g.F1,
		}
		if g.ROCAUC != nil {
			vals["roc_auc"] = *g.ROCAUC
		}
		if g.PRAUC != nil {
			vals["precision_recall_auc"] = *g.PRAUC
		}
		for k, wv := range w {
			if k == "positive_class" {
				continue
			}
			gv, ok := vals[k]
			if !ok {
				t.Errorf("class %s: %s missing", g.Label, k)
			} else if !close(gv, wv.(float64)) {
				t.Errorf("class %s: %s = %.17g, sklearn %.17g", g.Label, k, gv, wv)
			}
		}
		if (g.ROCAUC != nil) != (w["roc_auc"] != nil) {
			t.Errorf("class %s: roc_auc presence differs", g.Label)
		}
	}
}

func checkCurves(t *testing.T, kind string, got []evaluate.Curve, want []goldenCurve) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d %s curves, want %d", len(got), kind, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Label != w.Label {
			t.Errorf("%s curve %d: label %q, want %q", kind, i, g.Label, w.Label)
		}
		if !close(g.AUC, w.AUC) {
			t.Errorf("%s %s: auc %.17g, want %.17g", kind, w.Label, g.AUC, w.AUC)
		}
		if len(g.X) != len(w.X) || len(g.Y) != len(w.Y) {
			t.Errorf("%s %s: %d/%d points, want %d/%d", kind, w.Label, len(g.X), len(g.Y), len(w.X), len(w.Y))
			continue
		}
		for j := range w.X {
			if !close(g.X[j], w.X[j]) || !close(g.Y[j], w.Y[j]) {
				t.Errorf("%s %s point %d: (%v, %v), want (%v, %v)", kind, w.Label, j, g.X[j], g.Y[j], w.X[j], w.Y[j])
				break
			}
		}
	}
}
