package evaluate

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/flavors"
	_ "github.com/berthml/berth/flavors/builtin"
	"github.com/berthml/berth/internal/ortest"
)

// TestModelFixtures runs Model on the fixtures of golden.json through real
// ONNX Runtime: every label metric as sklearn computes it, and the float
// ones to float32 rounding.
func TestModelFixtures(t *testing.T) {
	ortest.Init(t)
	b, err := os.ReadFile("../testdata/evaluate/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []struct {
			Name, Fixture, Data, Target string
			ModelType                   string `json:"model_type"`
			Metrics                     map[string]float64
		}
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range g.Cases {
		if c.Fixture == "" {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			l, err := flavors.Load(context.Background(), "../"+c.Fixture, flavors.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Predictor.Close()
			res, err := Model(context.Background(), c.Fixture, l, Data{Path: "../" + c.Data, Target: c.Target, ModelType: ModelType(c.ModelType)})
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range c.Metrics {
				got, ok := res.Metrics[k]
				if !ok || !close(got, want, 1e-7) {
					t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
				}
			}
		})
	}
	if n != 3 {
		t.Fatalf("%d fixture cases in golden.json, want 3", n)
	}
}

func close(a, b, rel float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	m := max(a, -a, b, -b, 1e-300)
	return d <= rel*m
}

func TestPickOutputs(t *testing.T) {
	label := flavors.TensorInfo{Name: "label", DType: flavors.Int64, Shape: []int64{-1}}
	proba := flavors.TensorInfo{Name: "probabilities", DType: flavors.Float32, Shape: []int64{-1, 3}}
	probaMap := flavors.TensorInfo{Name: "output_probability", DType: flavors.Map}
	value := flavors.TensorInfo{Name: "variable", DType: flavors.Float32, Shape: []int64{-1, 1}}
	tests := []struct {
		name string
		outs []flavors.TensorInfo
		mt   ModelType
		want modelOutputs
		err  string
	}{
		{"classifier with probabilities", []flavors.TensorInfo{label, proba}, Classifier, modelOutputs{label: "label", proba: "probabilities"}, ""},
		{"sklearn's map", []flavors.TensorInfo{label, probaMap}, Classifier, modelOutputs{label: "label", proba: "output_probability", probaIsMap: true}, ""},
		{"probabilities alone", []flavors.TensorInfo{proba}, Classifier, modelOutputs{proba: "probabilities"}, ""},
		{"regressor", []flavors.TensorInfo{value}, Regressor, modelOutputs{value: "variable"}, ""},
		{"regressor on labels", []flavors.TensorInfo{label}, Regressor, modelOutputs{}, "do not fit a regressor"},
		{"classifier on one float", []flavors.TensorInfo{value}, Classifier, modelOutputs{}, "do not fit a classifier"},
		{"no model type", []flavors.TensorInfo{label, proba}, "", modelOutputs{}, `model type "" is neither classifier nor regressor`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickOutputs(tt.outs, tt.mt)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("pickOutputs = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestProbaClassesAndLabels(t *testing.T) {
	for _, tt := range []struct {
		k           int
		truth, pred []string
		want        []string
	}{
		{3, []string{"0", "2"}, []string{"1"}, []string{"0", "1", "2"}},
		{2, []string{"no", "yes"}, nil, []string{"no", "yes"}},
		{3, []string{"no", "yes"}, nil, nil},
	} {
		if got := probaClasses(tt.k, tt.truth, tt.pred); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("probaClasses(%d, %q, %q) = %q, want %q", tt.k, tt.truth, tt.pred, got, tt.want)
		}
	}
	for in, want := range map[string]string{"1.0": "1", " 2 ": "2", "1.5": "1.5", "setosa": "setosa", "": ""} {
		if got := canonicalLabel(in); got != want {
			t.Errorf("canonicalLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
