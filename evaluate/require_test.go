package evaluate_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/evaluate"
)

func TestParseRequire(t *testing.T) {
	tests := []struct {
		in      string
		metric  string
		value   float64
		greater bool
	}{
		{"accuracy_score>=0.9", "accuracy_score", 0.9, true},
		{"log_loss<=0.2", "log_loss", 0.2, false},
		{"  f1_score >= 0.8  ", "f1_score", 0.8, true},
		{"r2_score>=-1", "r2_score", -1, true},
		{"loss<=-0.5", "loss", -0.5, false},
		{"m>=+1e-3", "m", 0.001, true},
		{"m>=.5", "m", 0.5, true},
		{"m>=5.", "m", 5, true},
		{"m<=2E+2", "m", 200, false},
		{"m>=0", "m", 0, true},
		{"precision_at_fpr/0.1>=0.5", "precision_at_fpr/0.1", 0.5, true},
		{"eval.accuracy-v2>=0.5", "eval.accuracy-v2", 0.5, true},
		{"précision>=0.5", "précision", 0.5, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			metric, th, err := evaluate.ParseRequire(tt.in)
			if err != nil {
				t.Fatalf("ParseRequire: %v", err)
			}
			want := evaluate.MetricThreshold{Threshold: thr(tt.value), GreaterIsBetter: tt.greater}
			if metric != tt.metric || !reflect.DeepEqual(th, want) {
				t.Errorf("ParseRequire = %q, %v; want %q, %v", metric, th, tt.metric, want)
			}
			if err := th.Validate(); err != nil {
				t.Errorf("parsed threshold does not validate: %v", err)
			}
		})
	}
}

func TestParseRequireMalformed(t *testing.T) {
	tests := []struct {
		in, want string // want: a part of the error message
	}{
		{"", "want METRIC>=VALUE or METRIC<=VALUE"},
		{"   ", "want METRIC>=VALUE or METRIC<=VALUE"},
		{"accuracy_score", "want METRIC>=VALUE or METRIC<=VALUE"},
		{"accuracy_score 0.9", "want METRIC>=VALUE or METRIC<=VALUE"},
		{">=0.9", "missing metric name"},
		{" >= 0.9", "missing metric name"},
		{"accuracy_score=>0.9", `unknown operator "=>"`},
		{"accuracy_score=<0.9", `unknown operator "=<"`},
		{"accuracy_score==0.9", `unknown operator "=="`},
		{"accuracy_score=0.9", `unknown operator "="`},
		{"accuracy_score!=0.9", `unknown operator "!="`},
		{"accuracy_score>>=0.9", `unknown operator ">>="`},
		{"accuracy_score>0.9", `strict ">" is not supported`},
		{"accuracy_score < 0.9", `strict "<" is not supported`},
		{"accuracy_score>=", "missing value"},
		{"accuracy_score>=  ", "missing value"},
		{"accuracy_score>=NaN", "not a decimal number"},
		{"accuracy_score>=nan", "not a decimal number"},
		{"accuracy_score>=Inf", "not a decimal number"},
		{"accuracy_score>=+Inf", "not a decimal number"},
		{"accuracy_score>=-infinity", "not a decimal number"},
		{"accuracy_score>=1e999", "out of range"},
		{"accuracy_score>=-1e400", "out of range"},
		{"accuracy_score>=0.9x", "not a decimal number"},
		{"accuracy_score>=0.9 0.1", "not a decimal number"},
		{"accuracy_score>=0.9>=0.8", "not a decimal number"},
		{"accuracy_score>=0x1p-2", "not a decimal number"},
		{"accuracy_score>=1_000", "not a decimal number"},
		{"accuracy_score>=- 1", "not a decimal number"},
		{"accuracy_score>=e5", "not a decimal number"},
		{"accuracy_score>=1e", "not a decimal number"},
		{"accuracy_score>=.", "not a decimal number"},
		{"accuracy score>=0.9", `' ' is not allowed`},
		{"f1\tscore>=0.9", `'\t' is not allowed`},
		{"acc;rm>=0.9", `';' is not allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			metric, th, err := evaluate.ParseRequire(tt.in)
			if err == nil {
				t.Fatalf("ParseRequire = %q, %v; want an error", metric, th)
			}
			if !errors.Is(err, evaluate.ErrBadRequirement) {
				t.Errorf("error %v does not wrap ErrBadRequirement", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestFormatRequire(t *testing.T) {
	tests := []struct {
		metric    string
		threshold evaluate.MetricThreshold
		want      string
	}{
		{"accuracy_score", evaluate.MetricThreshold{Threshold: thr(0.9), GreaterIsBetter: true}, "accuracy_score>=0.9"},
		{"log_loss", evaluate.MetricThreshold{Threshold: thr(1e-7), MinRelativeChange: thr(0.1)}, "log_loss<=1e-07"},
		{"log_loss", evaluate.MetricThreshold{MinRelativeChange: thr(0.1)}, ""},
	}
	for _, tt := range tests {
		if got := evaluate.FormatRequire(tt.metric, tt.threshold); got != tt.want {
			t.Errorf("FormatRequire(%q, %v) = %q, want %q", tt.metric, tt.threshold, got, tt.want)
		}
	}
}

func FuzzParseRequire(f *testing.F) {
	for _, s := range []string{
		"accuracy_score>=0.9", "log_loss<=0.2", " f1_score > 0.8", "m=>1", "m>=NaN", "m>=1e999",
		"m<=-0", "a.b/c-d>=.5e-3", "", ">=", "m>=0x10", "m>=1_0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		metric, th, err := evaluate.ParseRequire(s)
		if err != nil {
			if !errors.Is(err, evaluate.ErrBadRequirement) {
				t.Fatalf("ParseRequire(%q) error %v does not wrap ErrBadRequirement", s, err)
			}
			return
		}
		if th.Threshold == nil || math.IsNaN(*th.Threshold) || math.IsInf(*th.Threshold, 0) {
			t.Fatalf("ParseRequire(%q) threshold %v, want a finite number", s, th.Threshold)
		}
		if th.MinAbsoluteChange != nil || th.MinRelativeChange != nil {
			t.Fatalf("ParseRequire(%q) set a change: %v", s, th)
		}
		if err := th.Validate(); err != nil {
			t.Fatalf("ParseRequire(%q) gave an invalid threshold: %v", s, err)
		}
		formatted := evaluate.FormatRequire(metric, th)
		metric2, th2, err := evaluate.ParseRequire(formatted)
		if err != nil {
			t.Fatalf("ParseRequire(FormatRequire(%q) = %q): %v", s, formatted, err)
		}
		if metric2 != metric || *th2.Threshold != *th.Threshold || th2.GreaterIsBetter != th.GreaterIsBetter {
			t.Fatalf("round trip of %q through %q: got %q %v, want %q %v", s, formatted, metric2, th2, metric, th)
		}
	})
}

func TestParseChange(t *testing.T) {
	good := []struct {
		in     string
		metric string
		value  float64
	}{
		{"accuracy_score=0.01", "accuracy_score", 0.01},
		{" f1_score = 0.02 ", "f1_score", 0.02},
		{"log_loss=1e-3", "log_loss", 0.001},
		{"m=-1", "m", -1}, // the range is Validate's job
	}
	for _, tt := range good {
		metric, v, err := evaluate.ParseChange(tt.in)
		if err != nil || metric != tt.metric || v != tt.value {
			t.Errorf("ParseChange(%q) = %q, %v, %v; want %q, %v", tt.in, metric, v, err, tt.metric, tt.value)
		}
	}
	bad := []struct{ in, want string }{
		{"", "want METRIC=VALUE"},
		{"accuracy_score", "want METRIC=VALUE"},
		{"accuracy_score 0.01", "want METRIC=VALUE"},
		{"=0.1", "missing metric name"},
		{"accuracy_score=", "missing value"},
		{"accuracy_score==0.1", "not a decimal number"},
		{"accuracy_score>=0.1", `'>' is not allowed`},
		{"accuracy score=0.1", `' ' is not allowed`},
		{"accuracy_score=NaN", "not a decimal number"},
		{"accuracy_score=Inf", "not a decimal number"},
		{"accuracy_score=1e500", "out of range"},
		{"accuracy_score=0.1x", "not a decimal number"},
		{"accuracy_score=0.1=0.2", "not a decimal number"},
	}
	for _, tt := range bad {
		metric, v, err := evaluate.ParseChange(tt.in)
		if err == nil {
			t.Errorf("ParseChange(%q) = %q, %v; want an error", tt.in, metric, v)
			continue
		}
		if !errors.Is(err, evaluate.ErrBadRequirement) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseChange(%q) error %q, want an ErrBadRequirement containing %q", tt.in, err, tt.want)
		}
	}
}

func FuzzParseChange(f *testing.F) {
	for _, s := range []string{"accuracy_score=0.01", "f1 = 2", "=", "a==1", "a=NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		metric, v, err := evaluate.ParseChange(s)
		if err != nil {
			return
		}
		if metric == "" || math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("ParseChange(%q) = %q, %v", s, metric, v)
		}
	})
}

func TestGreaterIsBetter(t *testing.T) {
	tests := []struct {
		metric         string
		greater, known bool
	}{
		{"accuracy_score", true, true},
		{"precision_score", true, true},
		{"recall_score", true, true},
		{"f1_score", true, true},
		{"roc_auc", true, true},
		{"precision_recall_auc", true, true},
		{"r2_score", true, true},
		{"log_loss", false, true},
		{"mean_squared_error", false, true},
		{"mean_absolute_error", false, true},
		{"root_mean_squared_error", false, true},
		{"max_error", false, true},
		{"mean_absolute_percentage_error", false, true},
		{"my_metric", false, false},
		{"Accuracy_Score", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		greater, known := evaluate.GreaterIsBetter(tt.metric)
		if greater != tt.greater || known != tt.known {
			t.Errorf("GreaterIsBetter(%q) = %v, %v; want %v, %v", tt.metric, greater, known, tt.greater, tt.known)
		}
	}
}

func TestMergeThresholds(t *testing.T) {
	tests := []struct {
		name                   string
		requires, abs, rel     []string
		want                   map[string]evaluate.MetricThreshold
		wantErrs               []string // parts of the error message, all present
		wantInvalid, wantBadRq bool
	}{
		{
			name:     "requirements and changes",
			requires: []string{"accuracy_score>=0.9", "log_loss<=0.3"},
			abs:      []string{"f1_score=0.02", "log_loss=0.01"},
			rel:      []string{"accuracy_score=0.01", "mean_squared_error=0.1"},
			want: map[string]evaluate.MetricThreshold{
				"accuracy_score":     {Threshold: thr(0.9), MinRelativeChange: thr(0.01), GreaterIsBetter: true},
				"log_loss":           {Threshold: thr(0.3), MinAbsoluteChange: thr(0.01)},
				"f1_score":           {MinAbsoluteChange: thr(0.02), GreaterIsBetter: true},
				"mean_squared_error": {MinRelativeChange: thr(0.1)},
			},
		},
		{
			name: "both changes on one metric",
			abs:  []string{"roc_auc=0.01"},
			rel:  []string{"roc_auc=0.02"},
			want: map[string]evaluate.MetricThreshold{
				"roc_auc": {MinAbsoluteChange: thr(0.01), MinRelativeChange: thr(0.02), GreaterIsBetter: true},
			},
		},
		{
			name:     "a requirement gives an unknown metric its direction",
			requires: []string{"my_cost<=10"},
			rel:      []string{"my_cost=0.1"},
			want:     map[string]evaluate.MetricThreshold{"my_cost": {Threshold: thr(10), MinRelativeChange: thr(0.1)}},
		},
		{
			name:     "a contradicting requirement alone is allowed",
			requires: []string{"accuracy_score<=0.999"},
			want:     map[string]evaluate.MetricThreshold{"accuracy_score": {Threshold: thr(0.999)}},
		},
		{
			name: "nothing",
			want: map[string]evaluate.MetricThreshold{},
		},
		{
			name:     "unknown direction",
			rel:      []string{"my_metric=0.1"},
			wantErrs: []string{`my_metric is not a built-in metric`, `"my_metric>=VALUE"`},
		},
		{
			name:     "contradicting requirement with a change",
			requires: []string{"accuracy_score<=0.999"},
			abs:      []string{"accuracy_score=0.01"},
			wantErrs: []string{"the requirement on accuracy_score says lower is better", "higher is better"},
		},
		{
			name:     "duplicate requirement",
			requires: []string{"accuracy_score>=0.9", "accuracy_score<=0.99"},
			wantErrs: []string{"metric accuracy_score already has a requirement"},
		},
		{
			name:     "duplicate change",
			rel:      []string{"accuracy_score=0.01", "accuracy_score=0.02"},
			wantErrs: []string{"metric accuracy_score already has a min_relative_change"},
		},
		{
			name:        "out of range changes",
			abs:         []string{"f1_score=0"},
			rel:         []string{"roc_auc=1.5"},
			wantErrs:    []string{"metric f1_score: invalid metric threshold: `min_absolute_change` parameter must be a positive number", "metric roc_auc: invalid metric threshold: `min_relative_change` parameter must be between 0 and 1"},
			wantInvalid: true,
		},
		{
			name:      "every problem is reported",
			requires:  []string{"accuracy_score>0.9", "log_loss<=0.2"},
			abs:       []string{"f1 score=0.1"},
			rel:       []string{"my_metric=0.1", "log_loss=2"},
			wantErrs:  []string{`strict ">"`, `' ' is not allowed`, "my_metric is not a built-in metric", "metric log_loss: invalid metric threshold"},
			wantBadRq: true, wantInvalid: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evaluate.MergeThresholds(tt.requires, tt.abs, tt.rel)
			if tt.wantErrs == nil {
				if err != nil {
					t.Fatalf("MergeThresholds: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("MergeThresholds = %v, want %v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("MergeThresholds = %v, want an error", got)
			}
			for _, w := range tt.wantErrs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.wantInvalid && !errors.Is(err, evaluate.ErrInvalidThreshold) {
				t.Errorf("error %v does not wrap ErrInvalidThreshold", err)
			}
			if tt.wantBadRq && !errors.Is(err, evaluate.ErrBadRequirement) {
				t.Errorf("error %v does not wrap ErrBadRequirement", err)
			}
		})
	}
}
