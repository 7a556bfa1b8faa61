package evaluate_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/berthml/berth/evaluate"
)

func TestClassifyBadInput(t *testing.T) {
	yt := []string{"0", "1", "1", "0"}
	good := [][]float64{{0.9, 0.1}, {0.2, 0.8}, {0.4, 0.6}, {0.7, 0.3}}
	tests := []struct {
		name         string
		yTrue, yPred []string
		proba        [][]float64
		classes      []string
		pos          string
		want         error
		field, msg   string
	}{
		{"empty", nil, nil, nil, nil, "", evaluate.ErrEmpty, "y_true", "no rows"},
		{"length", yt, []string{"0", "1"}, nil, nil, "", evaluate.ErrLength, "y_pred", "2 predictions for 4 targets"},
		{"single class", []string{"a", "a"}, []string{"a", "a"}, nil, nil, "", evaluate.ErrSingleClass, "y_true", `every target and prediction is "a"`},
		{"empty target", []string{"0", ""}, []string{"0", "1"}, nil, nil, "", evaluate.ErrLabel, "y_true", "row 1: empty label"},
		{"empty prediction", []string{"0", "1"}, []string{"", "1"}, nil, nil, "", evaluate.ErrLabel, "y_pred", "row 0: empty label"},
		{"same number twice", []string{"1", "0"}, []string{"1.0", "0"}, nil, nil, "", evaluate.ErrLabel, "labels", `"1" and "1.0" are the same number`},
		{"pos label unknown", yt, yt, nil, nil, "2", evaluate.ErrLabel, "pos_label", `"2" is not one of the labels ["0", "1"]`},
		{"proba without classes", yt, yt, good, nil, "", evaluate.ErrProbabilities, "classes", "without their classes"},
		{"duplicate class", yt, yt, good, []string{"0", "0"}, "", evaluate.ErrLabel, "classes", `class "0" listed twice`},
		{"proba rows", yt, yt, good[:3], []string{"0", "1"}, "", evaluate.ErrLength, "proba", "3 probability rows for 4 targets"},
		{"proba columns", yt, yt, [][]float64{{1}, {1}, {1}, {1}}, []string{"0", "1"}, "", evaluate.ErrProbabilities, "proba", "row 0: 1 probabilities for 2 classes"},
		{"proba NaN", yt, yt, [][]float64{{0.5, 0.5}, {math.NaN(), 1}, {0, 1}, {1, 0}}, []string{"0", "1"}, "", evaluate.ErrProbabilities, "proba", `row 1: probability of class "0" is NaN`},
		{"proba Inf", yt, yt, [][]float64{{0.5, 0.5}, {0, math.Inf(1)}, {0, 1}, {1, 0}}, []string{"0", "1"}, "", evaluate.ErrProbabilities, "proba", `row 1: probability of class "1" is +Inf`},
		{"proba negative", yt, yt, [][]float64{{0.5, 0.5}, {0, 1}, {-0.1, 1.1}, {1, 0}}, []string{"0", "1"}, "", evaluate.ErrProbabilities, "proba", "want a finite number >= 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := evaluate.Classify(tt.yTrue, tt.yPred, tt.proba, tt.classes, tt.pos)
			checkInputError(t, r, err, tt.want, tt.field, tt.msg)
		})
	}
}

func TestRegressBadInput(t *testing.T) {
	tests := []struct {
		name         string
		yTrue, yPred []float64
		want         error
		field, msg   string
	}{
		{"empty", []float64{}, []float64{}, evaluate.ErrEmpty, "y_true", "no rows"},
		{"length", []float64{1, 2}, []float64{1}, evaluate.ErrLength, "y_pred", "1 predictions for 2 targets"},
		{"NaN target", []float64{1, math.NaN()}, []float64{1, 2}, evaluate.ErrNonFinite, "y_true", "row 1: target is NaN"},
		{"Inf prediction", []float64{1, 2}, []float64{math.Inf(-1), 2}, evaluate.ErrNonFinite, "y_pred", "row 0: prediction is -Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := evaluate.Regress(tt.yTrue, tt.yPred)
			checkInputError(t, r, err, tt.want, tt.field, tt.msg)
		})
	}
}

func checkInputError(t *testing.T, r *evaluate.Result, err, want error, field, msg string) {
	t.Helper()
	if r != nil || !errors.Is(err, want) {
		t.Fatalf("got %v, %v; want error %v", r, err, want)
	}
	var ie *evaluate.InputError
	if !errors.As(err, &ie) || ie.Field != field {
		t.Fatalf("error %v: want an *InputError for field %q", err, field)
	}
	if !strings.Contains(err.Error(), msg) || !strings.HasPrefix(err.Error(), "evaluate: "+field+": ") {
		t.Errorf("error %q: want %q in it", err, msg)
	}
}

// Inputs sklearn raises on, or answers NaN for, leave the metric out with a
// warning rather than failing the evaluation.
func TestClassifyWarnings(t *testing.T) {
	tests := []struct {
		name         string
		yTrue, yPred []string
		proba        [][]float64
		classes      []string
		missing      []string
		warning      string
	}{
		{
			"binary, one class in targets", []string{"1", "1", "1"}, []string{"1", "0", "1"},
			[][]float64{{0.2, 0.8}, {0.6, 0.4}, {0.1, 0.9}}, []string{"0", "1"},
			[]string{"roc_auc", "precision_recall_auc"}, `every target is "1"`,
		},
		{
			"label without a probability column", []string{"a", "b", "c"}, []string{"a", "b", "b"},
			[][]float64{{0.9, 0.1}, {0.2, 0.8}, {0.5, 0.5}}, []string{"a", "b"},
			[]string{"log_loss", "roc_auc"}, `labels ["c"] have no probability column`,
		},
		{
			"model class never a target", []string{"a", "b", "a", "b"}, []string{"a", "b", "b", "b"},
			[][]float64{{0.8, 0.1, 0.1}, {0.1, 0.8, 0.1}, {0.4, 0.5, 0.1}, {0.2, 0.7, 0.1}}, []string{"a", "b", "c"},
			[]string{"roc_auc"}, `labels ["c"] never occur in the targets`,
		},
		{
			"rows not summing to one", []string{"a", "b", "c"}, []string{"a", "b", "c"},
			[][]float64{{0.9, 0.1, 0.1}, {0.1, 0.8, 0.1}, {0.1, 0.1, 0.8}}, []string{"a", "b", "c"},
			[]string{"roc_auc"}, "row 0's probabilities sum to 1.1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := evaluate.Classify(tt.yTrue, tt.yPred, tt.proba, tt.classes, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tt.missing {
				if v, ok := r.Metrics[m]; ok {
					t.Errorf("%s = %v, want it left out", m, v)
				}
			}
			if !strings.Contains(strings.Join(r.Warnings, "\n"), tt.warning) {
				t.Errorf("warnings %q, want one containing %q", r.Warnings, tt.warning)
			}
			if _, ok := r.Metrics["accuracy_score"]; !ok {
				t.Error("accuracy_score missing")
			}
		})
	}
}

func TestRegressOneRow(t *testing.T) {
	r, err := evaluate.Regress([]float64{3}, []float64{2})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Metrics["r2_score"]; ok || len(r.Warnings) != 1 {
		t.Errorf("r2_score %v, warnings %q: want it left out with a warning", r.Metrics["r2_score"], r.Warnings)
	}
	if r.Metrics["max_error"] != 1 || r.Metrics["mean_absolute_percentage_error"] != 1.0/3 {
		t.Errorf("metrics %v", r.Metrics)
	}
}

// The probability columns may come in any order; classes says which is which.
func TestClassifyColumnOrder(t *testing.T) {
	yt := []string{"b", "a", "c", "a", "b", "c"}
	yp := []string{"b", "a", "a", "a", "c", "c"}
	sorted := [][]float64{{0.1, 0.8, 0.1}, {0.7, 0.2, 0.1}, {0.5, 0.1, 0.4}, {0.6, 0.3, 0.1}, {0.2, 0.3, 0.5}, {0.1, 0.2, 0.7}}
	shuffled := make([][]float64, len(sorted))
	for i, r := range sorted {
		shuffled[i] = []float64{r[2], r[0], r[1]}
	}
	want, err := evaluate.Classify(yt, yp, sorted, []string{"a", "b", "c"}, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := evaluate.Classify(yt, yp, shuffled, []string{"c", "a", "b"}, "")
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want.Metrics {
		if got.Metrics[name] != w {
			t.Errorf("%s = %v with shuffled columns, %v sorted", name, got.Metrics[name], w)
		}
	}
	if len(want.Metrics) != 7 || len(got.ROC) != 3 {
		t.Errorf("metrics %v, %d ROC curves", want.Metrics, len(got.ROC))
	}
}

func TestClassifyMulticlassIgnoresPosLabel(t *testing.T) {
	r, err := evaluate.Classify([]string{"a", "b", "c"}, []string{"a", "b", "c"}, nil, nil, "zzz")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], `pos_label "zzz" ignored`) {
		t.Errorf("warnings %q", r.Warnings)
	}
}
