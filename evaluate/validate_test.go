package evaluate_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/evaluate"
)

func thr(v float64) *float64 { return &v }

func failureChecks(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var verr *evaluate.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
	}
	var out []string
	for _, fl := range verr.Failures {
		out = append(out, fl.Metric+":"+fl.Check)
	}
	return out
}

func TestValidateResultsRules(t *testing.T) {
	const m = "m"
	nan := math.NaN()
	tests := []struct {
		name      string
		threshold evaluate.MetricThreshold
		candidate map[string]float64
		baseline  map[string]float64
		want      []string // metric:check of each failure; nil passes
	}{
		// threshold
		{"threshold greater above", evaluate.MetricThreshold{Threshold: thr(0.9), GreaterIsBetter: true}, map[string]float64{m: 0.95}, nil, nil},
		{"threshold greater equal is inclusive", evaluate.MetricThreshold{Threshold: thr(0.9), GreaterIsBetter: true}, map[string]float64{m: 0.9}, nil, nil},
		{"threshold greater below", evaluate.MetricThreshold{Threshold: thr(0.9), GreaterIsBetter: true}, map[string]float64{m: 0.89}, nil, []string{"m:threshold"}},
		{"threshold lower below", evaluate.MetricThreshold{Threshold: thr(0.2)}, map[string]float64{m: 0.1}, nil, nil},
		{"threshold lower equal is inclusive", evaluate.MetricThreshold{Threshold: thr(0.2)}, map[string]float64{m: 0.2}, nil, nil},
		{"threshold lower above", evaluate.MetricThreshold{Threshold: thr(0.2)}, map[string]float64{m: 0.21}, nil, []string{"m:threshold"}},
		{"threshold needs no baseline", evaluate.MetricThreshold{Threshold: thr(0.2)}, map[string]float64{m: 0.1}, map[string]float64{}, nil},

		// min_absolute_change
		{"abs greater beats", evaluate.MetricThreshold{MinAbsoluteChange: thr(0.25), GreaterIsBetter: true}, map[string]float64{m: 0.8}, map[string]float64{m: 0.5}, nil},
		{"abs greater equal is inclusive", evaluate.MetricThreshold{MinAbsoluteChange: thr(0.25), GreaterIsBetter: true}, map[string]float64{m: 0.75}, map[string]float64{m: 0.5}, nil},
		{"abs greater short", evaluate.MetricThreshold{MinAbsoluteChange: thr(0.25), GreaterIsBetter: true}, map[string]float64{m: 0.74}, map[string]float64{m: 0.5}, []string{"m:min_absolute_change"}},
		{"abs greater worse", evaluate.MetricThreshold{MinAbsoluteChange: thr(0.25), GreaterIsBetter: true}, map[string]float64{m: 0.4}, map[string]float64{m: 0.5}, []string{"m:min_absolute_change"}},
		{"abs lower beats", evaluate.MetricThreshold{MinAbsoluteChange: thr(0.25)}, map[string]float64{m: 0.4}, map[string]float64{m: 0.75}, nil},
		{"abs lower equal is inclusive", evaluate.MetricThreshold{MinAbsoluteChange: thr(0.25)}, map[string]float64{m: 0.5}, map[string]float64{m: 0.75}, nil},
		{"abs lower short", evaluate.MetricThreshold{MinAbsoluteChange: thr(0.25)}, map[string]float64{m: 0.51}, map[string]float64{m: 0.75}, []string{"m:min_absolute_change"}},
		// As in MLflow, baseline+change is a float64 sum: 0.1+0.2 = 0.30000000000000004 > 0.3.
		{"abs compares in float64 like MLflow", evaluate.MetricThreshold{MinAbsoluteChange: thr(0.2), GreaterIsBetter: true}, map[string]float64{m: 0.3}, map[string]float64{m: 0.1}, []string{"m:min_absolute_change"}},

		// min_relative_change
		{"rel greater beats", evaluate.MetricThreshold{MinRelativeChange: thr(0.5), GreaterIsBetter: true}, map[string]float64{m: 0.8}, map[string]float64{m: 0.5}, nil},
		{"rel greater equal is inclusive", evaluate.MetricThreshold{MinRelativeChange: thr(0.5), GreaterIsBetter: true}, map[string]float64{m: 0.75}, map[string]float64{m: 0.5}, nil},
		{"rel greater short", evaluate.MetricThreshold{MinRelativeChange: thr(0.5), GreaterIsBetter: true}, map[string]float64{m: 0.74}, map[string]float64{m: 0.5}, []string{"m:min_relative_change"}},
		{"rel lower beats", evaluate.MetricThreshold{MinRelativeChange: thr(0.5)}, map[string]float64{m: 0.2}, map[string]float64{m: 0.5}, nil},
		{"rel lower equal is inclusive", evaluate.MetricThreshold{MinRelativeChange: thr(0.5)}, map[string]float64{m: 0.25}, map[string]float64{m: 0.5}, nil},
		{"rel lower short", evaluate.MetricThreshold{MinRelativeChange: thr(0.5)}, map[string]float64{m: 0.26}, map[string]float64{m: 0.5}, []string{"m:min_relative_change"}},
		{"rel zero allows equal", evaluate.MetricThreshold{MinRelativeChange: thr(0), GreaterIsBetter: true}, map[string]float64{m: 0.5}, map[string]float64{m: 0.5}, nil},
		{"rel zero refuses worse", evaluate.MetricThreshold{MinRelativeChange: thr(0), GreaterIsBetter: true}, map[string]float64{m: 0.49}, map[string]float64{m: 0.5}, []string{"m:min_relative_change"}},
		// MLflow divides by the signed baseline: with a negative baseline an
		// improvement reads as a negative change and a regression as a positive one.
		{"rel negative baseline improvement fails as in MLflow", evaluate.MetricThreshold{MinRelativeChange: thr(0.1), GreaterIsBetter: true}, map[string]float64{m: -0.4}, map[string]float64{m: -0.5}, []string{"m:min_relative_change"}},
		{"rel negative baseline regression passes as in MLflow", evaluate.MetricThreshold{MinRelativeChange: thr(0.1), GreaterIsBetter: true}, map[string]float64{m: -0.6}, map[string]float64{m: -0.5}, nil},

		// zero baseline: falls back to beating 0 by 1e-10
		{"zero baseline greater by epsilon", evaluate.MetricThreshold{MinRelativeChange: thr(0.5), GreaterIsBetter: true}, map[string]float64{m: 1e-10}, map[string]float64{m: 0}, nil},
		{"zero baseline greater clearly better", evaluate.MetricThreshold{MinRelativeChange: thr(0.5), GreaterIsBetter: true}, map[string]float64{m: 0.01}, map[string]float64{m: 0}, nil},
		{"zero baseline greater equal fails", evaluate.MetricThreshold{MinRelativeChange: thr(0.5), GreaterIsBetter: true}, map[string]float64{m: 0}, map[string]float64{m: 0}, []string{"m:min_relative_change"}},
		{"zero baseline greater below epsilon fails", evaluate.MetricThreshold{MinRelativeChange: thr(0.5), GreaterIsBetter: true}, map[string]float64{m: 5e-11}, map[string]float64{m: 0}, []string{"m:min_relative_change"}},
		{"zero baseline greater worse fails", evaluate.MetricThreshold{MinRelativeChange: thr(0.5), GreaterIsBetter: true}, map[string]float64{m: -1}, map[string]float64{m: 0}, []string{"m:min_relative_change"}},
		{"zero baseline lower by epsilon", evaluate.MetricThreshold{MinRelativeChange: thr(0.5)}, map[string]float64{m: -1e-10}, map[string]float64{m: 0}, nil},
		{"zero baseline lower equal fails", evaluate.MetricThreshold{MinRelativeChange: thr(0.5)}, map[string]float64{m: 0}, map[string]float64{m: 0}, []string{"m:min_relative_change"}},
		{"zero baseline lower worse fails", evaluate.MetricThreshold{MinRelativeChange: thr(0.5)}, map[string]float64{m: 0.1}, map[string]float64{m: 0}, []string{"m:min_relative_change"}},
		{"negative zero baseline is zero", evaluate.MetricThreshold{MinRelativeChange: thr(0.5)}, map[string]float64{m: 0}, map[string]float64{m: math.Copysign(0, -1)}, []string{"m:min_relative_change"}},

		// missing metrics
		{"missing candidate stops the checks", evaluate.MetricThreshold{Threshold: thr(0.5), MinRelativeChange: thr(0.1), GreaterIsBetter: true}, map[string]float64{}, nil, []string{"m:missing_candidate"}},
		{"missing baseline", evaluate.MetricThreshold{MinAbsoluteChange: thr(0.1), MinRelativeChange: thr(0.1), GreaterIsBetter: true}, map[string]float64{m: 0.9}, map[string]float64{"other": 0.1}, []string{"m:missing_baseline"}},
		{"nil baseline", evaluate.MetricThreshold{MinAbsoluteChange: thr(0.1), GreaterIsBetter: true}, map[string]float64{m: 0.9}, nil, []string{"m:missing_baseline"}},
		{"rel zero still needs a baseline", evaluate.MetricThreshold{MinRelativeChange: thr(0), GreaterIsBetter: true}, map[string]float64{m: 0.9}, nil, []string{"m:missing_baseline"}},
		{"threshold failure and missing baseline", evaluate.MetricThreshold{Threshold: thr(0.95), MinRelativeChange: thr(0.1), GreaterIsBetter: true}, map[string]float64{m: 0.9}, nil, []string{"m:threshold", "m:missing_baseline"}},

		// all rules at once
		{"all rules fail", evaluate.MetricThreshold{Threshold: thr(0.95), MinAbsoluteChange: thr(0.1), MinRelativeChange: thr(0.5), GreaterIsBetter: true}, map[string]float64{m: 0.9}, map[string]float64{m: 0.85}, []string{"m:threshold", "m:min_absolute_change", "m:min_relative_change"}},
		{"all rules pass", evaluate.MetricThreshold{Threshold: thr(0.5), MinAbsoluteChange: thr(0.125), MinRelativeChange: thr(0.25), GreaterIsBetter: true}, map[string]float64{m: 0.625}, map[string]float64{m: 0.5}, nil},

		// NaN fails whatever it takes part in
		{"nan candidate", evaluate.MetricThreshold{Threshold: thr(0.5), MinAbsoluteChange: thr(0.1), MinRelativeChange: thr(0.1), GreaterIsBetter: true}, map[string]float64{m: nan}, map[string]float64{m: 0.5}, []string{"m:threshold", "m:min_absolute_change", "m:min_relative_change"}},
		{"nan baseline", evaluate.MetricThreshold{MinAbsoluteChange: thr(0.1), MinRelativeChange: thr(0.1)}, map[string]float64{m: 0.1}, map[string]float64{m: nan}, []string{"m:min_absolute_change", "m:min_relative_change"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := evaluate.ValidateResults(map[string]evaluate.MetricThreshold{m: tt.threshold}, tt.candidate, tt.baseline)
			if got := failureChecks(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("failures = %v, want %v (error: %v)", got, tt.want, err)
			}
		})
	}
}

func TestValidateResultsMessages(t *testing.T) {
	thresholds := map[string]evaluate.MetricThreshold{
		"accuracy_score": {Threshold: thr(0.9), MinAbsoluteChange: thr(0.05), MinRelativeChange: thr(0.1), GreaterIsBetter: true},
		"log_loss":       {Threshold: thr(0.2), MinRelativeChange: thr(0.05)},
		"f1_score":       {Threshold: thr(0.5), GreaterIsBetter: true},
		"roc_auc":        {Threshold: thr(1), GreaterIsBetter: true},
		"max_error":      {Threshold: thr(100), MinAbsoluteChange: thr(1)},
	}
	candidate := map[string]float64{"accuracy_score": 0.8, "log_loss": 0.3, "roc_auc": 0.99, "max_error": 99}
	baseline := map[string]float64{"accuracy_score": 0.85, "roc_auc": 0.5}
	err := evaluate.ValidateResults(thresholds, candidate, baseline)

	want := []evaluate.Failure{
		{Metric: "accuracy_score", Check: "threshold", Candidate: thr(0.8), Limit: thr(0.9),
			Message: "Metric accuracy_score value threshold check failed: candidate model accuracy_score = 0.8, accuracy_score threshold = 0.9."},
		{Metric: "accuracy_score", Check: "min_absolute_change", Candidate: thr(0.8), Baseline: thr(0.85), Limit: thr(0.05),
			Message: "Metric accuracy_score minimum absolute change check failed: candidate model accuracy_score = 0.8, " +
				"baseline model accuracy_score = 0.85, accuracy_score minimum absolute change threshold = 0.05."},
		{Metric: "accuracy_score", Check: "min_relative_change", Candidate: thr(0.8), Baseline: thr(0.85), Limit: thr(0.1),
			Message: "Metric accuracy_score minimum relative change check failed: candidate model accuracy_score = 0.8, " +
				"baseline model accuracy_score = 0.85, accuracy_score minimum relative change threshold = 0.1."},
		{Metric: "f1_score", Check: "missing_candidate",
			Message: "Metric validation failed: metric f1_score was missing from the evaluation result of the candidate model."},
		{Metric: "log_loss", Check: "threshold", Candidate: thr(0.3), Limit: thr(0.2),
			Message: "Metric log_loss value threshold check failed: candidate model log_loss = 0.3, log_loss threshold = 0.2."},
		{Metric: "log_loss", Check: "missing_baseline", Candidate: thr(0.3),
			Message: "Model comparison failed: metric log_loss was missing from the evaluation result of the baseline model."},
		{Metric: "max_error", Check: "missing_baseline", Candidate: thr(99),
			Message: "Model comparison failed: metric max_error was missing from the evaluation result of the baseline model."},
		{Metric: "roc_auc", Check: "threshold", Candidate: thr(0.99), Limit: thr(1),
			Message: "Metric roc_auc value threshold check failed: candidate model roc_auc = 0.99, roc_auc threshold = 1.0."},
	}
	var verr *evaluate.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("ValidateResults = %v, want a *ValidationError", err)
	}
	if !reflect.DeepEqual(verr.Failures, want) {
		t.Errorf("failures:\n%s\nwant:\n%s", dumpFailures(verr.Failures), dumpFailures(want))
	}
	var lines []string
	for _, w := range want {
		lines = append(lines, w.Message)
	}
	if got, want := err.Error(), strings.Join(lines, "\n"); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

func dumpFailures(fs []evaluate.Failure) string {
	var b strings.Builder
	deref := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	for _, fl := range fs {
		fmt.Fprintf(&b, "%s %s c=%v b=%v l=%v %q\n", fl.Metric, fl.Check, deref(fl.Candidate), deref(fl.Baseline), deref(fl.Limit), fl.Message)
	}
	return b.String()
}

func TestValidateResultsNumbersReadAsPython(t *testing.T) {
	tests := []struct {
		candidate, threshold float64
		want                 string
	}{
		{0, 1, "candidate model m = 0.0, m threshold = 1.0."},
		{0.00001, 0.0001, "candidate model m = 1e-05, m threshold = 0.0001."},
		{1234567, 1e16, "candidate model m = 1234567.0, m threshold = 1e+16."},
		{-2.5, 1.5e-7, "candidate model m = -2.5, m threshold = 1.5e-07."},
		{math.Inf(-1), 0.1, "candidate model m = -inf, m threshold = 0.1."},
		{math.NaN(), 0.1, "candidate model m = nan, m threshold = 0.1."},
		{1.0 / 3, 0.5, "candidate model m = 0.3333333333333333, m threshold = 0.5."},
	}
	for _, tt := range tests {
		err := evaluate.ValidateResults(
			map[string]evaluate.MetricThreshold{"m": {Threshold: thr(tt.threshold), GreaterIsBetter: true}},
			map[string]float64{"m": tt.candidate}, nil)
		if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("candidate %v, threshold %v: error %v, want suffix %q", tt.candidate, tt.threshold, err, tt.want)
		}
	}
}

func TestValidateResultsPass(t *testing.T) {
	thresholds := map[string]evaluate.MetricThreshold{
		"accuracy_score": {Threshold: thr(0.9), MinRelativeChange: thr(0.01), GreaterIsBetter: true},
		"log_loss":       {Threshold: thr(0.3)},
	}
	err := evaluate.ValidateResults(thresholds,
		map[string]float64{"accuracy_score": 0.95, "log_loss": 0.25},
		map[string]float64{"accuracy_score": 0.9})
	if err != nil {
		t.Fatalf("ValidateResults = %v, want nil", err)
	}
	if err := evaluate.ValidateResults(nil, nil, nil); err != nil {
		t.Fatalf("ValidateResults(nil) = %v, want nil", err)
	}
}

func TestMetricThresholdValidate(t *testing.T) {
	tests := []struct {
		name      string
		threshold evaluate.MetricThreshold
		want      string // "" means valid
	}{
		{"threshold only", evaluate.MetricThreshold{Threshold: thr(-3)}, ""},
		{"abs only", evaluate.MetricThreshold{MinAbsoluteChange: thr(1e-9)}, ""},
		{"rel zero", evaluate.MetricThreshold{MinRelativeChange: thr(0)}, ""},
		{"rel one", evaluate.MetricThreshold{MinRelativeChange: thr(1)}, ""},
		{"nothing set", evaluate.MetricThreshold{GreaterIsBetter: true}, "no threshold was specified"},
		{"threshold nan", evaluate.MetricThreshold{Threshold: thr(math.NaN())}, "`threshold` parameter must be a finite number"},
		{"threshold inf", evaluate.MetricThreshold{Threshold: thr(math.Inf(1))}, "`threshold` parameter must be a finite number"},
		{"abs zero", evaluate.MetricThreshold{MinAbsoluteChange: thr(0)}, "`min_absolute_change` parameter must be a positive number"},
		{"abs negative", evaluate.MetricThreshold{MinAbsoluteChange: thr(-0.1)}, "`min_absolute_change` parameter must be a positive number"},
		{"abs nan", evaluate.MetricThreshold{MinAbsoluteChange: thr(math.NaN())}, "`min_absolute_change` parameter must be a positive number"},
		{"abs inf", evaluate.MetricThreshold{MinAbsoluteChange: thr(math.Inf(1))}, "`min_absolute_change` parameter must be a positive number"},
		{"rel negative", evaluate.MetricThreshold{MinRelativeChange: thr(-0.01)}, "`min_relative_change` parameter must be between 0 and 1"},
		{"rel above one", evaluate.MetricThreshold{MinRelativeChange: thr(1.01)}, "`min_relative_change` parameter must be between 0 and 1"},
		{"rel nan", evaluate.MetricThreshold{MinRelativeChange: thr(math.NaN())}, "`min_relative_change` parameter must be between 0 and 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.threshold.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, evaluate.ErrInvalidThreshold) {
				t.Fatalf("Validate() = %v, want an ErrInvalidThreshold", err)
			}
			if got, want := err.Error(), "invalid metric threshold: "+tt.want; got != want {
				t.Errorf("Validate() = %q, want %q", got, want)
			}
		})
	}
}

func TestValidateResultsInvalidThreshold(t *testing.T) {
	err := evaluate.ValidateResults(map[string]evaluate.MetricThreshold{
		"ok":  {Threshold: thr(0.9), GreaterIsBetter: true},
		"bad": {MinRelativeChange: thr(2), GreaterIsBetter: true},
	}, map[string]float64{"ok": 0, "bad": 0}, nil)
	var verr *evaluate.ValidationError
	if !errors.Is(err, evaluate.ErrInvalidThreshold) || errors.As(err, &verr) {
		t.Fatalf("ValidateResults = %v, want an ErrInvalidThreshold and no ValidationError", err)
	}
	if !strings.Contains(err.Error(), "metric bad") {
		t.Errorf("error %q does not name the metric", err)
	}
}

func TestMetricThresholdString(t *testing.T) {
	tests := []struct {
		threshold evaluate.MetricThreshold
		want      string
	}{
		{evaluate.MetricThreshold{Threshold: thr(0.9), MinAbsoluteChange: thr(0.05), MinRelativeChange: thr(0.1), GreaterIsBetter: true},
			"Threshold: 0.9. Minimum Absolute Change: 0.05. Minimum Relative Change: 0.1. Higher value is better."},
		{evaluate.MetricThreshold{Threshold: thr(1)}, "Threshold: 1.0. Lower value is better."},
		{evaluate.MetricThreshold{MinRelativeChange: thr(1e-5)}, "Minimum Relative Change: 1e-05. Lower value is better."},
	}
	for _, tt := range tests {
		if got := tt.threshold.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func ExampleValidateResults() {
	thresholds := map[string]evaluate.MetricThreshold{
		"accuracy_score": {Threshold: thr(0.9), MinRelativeChange: thr(0.05), GreaterIsBetter: true},
		"log_loss":       {Threshold: thr(0.3)},
	}
	candidate := map[string]float64{"accuracy_score": 0.92, "log_loss": 0.35}
	baseline := map[string]float64{"accuracy_score": 0.9, "log_loss": 0.3}
	fmt.Println(evaluate.ValidateResults(thresholds, candidate, baseline))
	// Output:
	// Metric accuracy_score minimum relative change check failed: candidate model accuracy_score = 0.92, baseline model accuracy_score = 0.9, accuracy_score minimum relative change threshold = 0.05.
	// Metric log_loss value threshold check failed: candidate model log_loss = 0.35, log_loss threshold = 0.3.
}
