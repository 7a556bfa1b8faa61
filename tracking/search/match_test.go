package search_test

import (
	"math"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

func TestLike(t *testing.T) {
	for _, tc := range []struct {
		s, pattern  string
		like, ilike bool
	}{
		{"", "", true, true},
		{"", "%", true, true},
		{"a", "", false, false},
		{"abc", "abc", true, true},
		{"abc", "ABC", false, true},
		{"abc", "ab", false, false},
		{"abc", "a%", true, true},
		{"abc", "%c", true, true},
		{"abc", "%b%", true, true},
		{"abc", "%%%", true, true},
		{"abc", "a_c", true, true},
		{"abc", "a__c", false, false},
		{"abc", "___", true, true},
		{"abc", "__", false, false},
		{"aXbXc", "a%b%c", true, true},
		{"abcbc", "a%bc", true, true},
		{"abcb", "a%bc", false, false},
		{"mississippi", "%iss%ipp%", true, true},
		// . and other regex characters are literal (MLflow's in-memory
		// _like turns them into a regex; SQL LIKE does not).
		{"0x1", "0.%", false, false},
		{"0.1", "0.%", true, true},
		{"a+b", "a+b", true, true},
		{"(a)", "(a)", true, true},
		{"a^$b", "a^$b", true, true},
		// Backslash escapes.
		{"50%", `50\%`, true, true},
		{"500", `50\%`, false, false},
		{"a_b", `a\_b`, true, true},
		{"axb", `a\_b`, false, false},
		{`a\b`, `a\\b`, true, true},
		{`a\`, `a\`, true, true},
		{"100% sure", `%\%%`, true, true},
		// Unicode: _ is one character, case folding is Unicode's.
		{"héllo", "h_llo", true, true},
		{"ÜBER", "über", false, true},
		{"straße", "STRASSE", false, false},
		{"Kelvin", "\u212aelvin", false, true},
		{"日本語", "%本%", true, true},
	} {
		if got := search.Like(tc.s, tc.pattern); got != tc.like {
			t.Errorf("Like(%q, %q) = %v, want %v", tc.s, tc.pattern, got, tc.like)
		}
		if got := search.ILike(tc.s, tc.pattern); got != tc.ilike {
			t.Errorf("ILike(%q, %q) = %v, want %v", tc.s, tc.pattern, got, tc.ilike)
		}
	}
}

// run is an entity for Match tests.
var run = map[string]map[string]any{
	tracking.KindMetric:    {"acc": 0.95, "loss": 0.1, "nan": math.NaN()},
	tracking.KindParam:     {"lr": "0.1", "epochs": "10", "opt": "Adam"},
	tracking.KindTag:       {"kind": "broken", "mlflow.runName": "conf-run-3"},
	tracking.KindAttribute: {"run_id": "3b0dfe67", "status": "FAILED", "start_time": int64(1795839577929), "end_time": nil},
	tracking.KindDataset:   {"name": []string{"iris", "wine"}, "context": []string{"training"}},
}

func getRun(kind, key string) (any, bool) {
	v, ok := run[kind][key]
	return v, ok
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{"", true},
		// Conformance transcript: run 3 is the one these select.
		{"metrics.acc > 0.5 and params.lr = '0.1'", true},
		{"tags.kind = 'broken' and attributes.status = 'FAILED'", true},
		{"params.lr LIKE '0.%'", true},
		{"metrics.acc > 0.95", false},
		{"metrics.acc >= 0.95", true},
		{"metrics.acc = 0.95", true},
		{"metrics.acc != 0.95", false},
		{"metrics.acc < 1 and metrics.loss <= 0.1", true},
		{"metrics.acc > 0.5 and metrics.loss > 0.5", false},
		// Missing values never match, != and NOT IN included.
		{"metrics.missing != 1", false},
		{"params.missing != 'x'", false},
		{"datasets.digest NOT IN ('x')", false},
		{"end_time > 0", false},
		// NaN only differs.
		{"metrics.nan = 1", false},
		{"metrics.nan > 1", false},
		{"metrics.nan != 1", true},
		// Strings compare as strings, case-sensitively.
		{"params.epochs = '10'", true},
		{"params.epochs = '10.0'", false},
		{"params.opt = 'adam'", false},
		{"params.opt ILIKE 'adam'", true},
		{"params.opt LIKE 'A%'", true},
		{"params.opt LIKE 'a%'", false},
		{"params.opt != 'Adam'", false},
		{"tags.`mlflow.runName` LIKE 'conf-run-_'", true},
		// Numeric attributes compare numbers of any Go type.
		{"attributes.start_time > 1795839577928", true},
		{"created = 1795839577929", true},
		{"attributes.start_time < 1000", false},
		// IN and NOT IN.
		{"run_id IN ('3b0dfe67', 'abc')", true},
		{"run_id IN ('abc')", false},
		{"run_id NOT IN ('abc')", true},
		{"run_id NOT IN ('3b0dfe67')", false},
		// A dataset matches when any of the run's datasets does.
		{"datasets.name = 'wine'", true},
		{"datasets.name = 'mnist'", false},
		{"datasets.name IN ('mnist', 'iris')", true},
		{"datasets.name != 'iris'", true},
		{"datasets.context = 'training' and datasets.name LIKE 'w%'", true},
		{"datasets.digest = 'x'", false},
	} {
		f, err := search.ParseRunFilter(tc.filter)
		if err != nil {
			t.Fatalf("ParseRunFilter(%q): %v", tc.filter, err)
		}
		if got := search.Match(f, getRun); got != tc.want {
			t.Errorf("Match(%q) = %v, want %v", tc.filter, got, tc.want)
		}
	}
}

func TestMatchValueTypes(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    tracking.Comparison
		v    any
		want bool
	}{
		{"int vs float", cmp(attr, "k", ">", 1.5), 2, true},
		{"uint8", cmp(attr, "k", "=", 7.0), uint8(7), true},
		{"float32", cmp(attr, "k", "<", 1.0), float32(0.5), true},
		{"numeric string", cmp(attr, "k", "=", 3.0), "3", true},
		{"non-numeric string", cmp(attr, "k", "=", 3.0), "three", false},
		{"number as string", cmp(attr, "k", "=", "3"), 3, true},
		{"string order", cmp(attr, "k", "<", "b"), "a", true},
		{"bool", cmp(attr, "k", "=", 1.0), true, false},
		{"bad IN value", cmp(attr, "k", "IN", "x"), "x", false},
		{"bad LIKE value", cmp(attr, "k", "LIKE", 1.0), "1", false},
		{"unknown op", cmp(attr, "k", "~", "x"), "x", false},
		{"empty list", cmp(attr, "k", "NOT IN", []string{}), "x", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &tracking.Filter{Comparisons: []tracking.Comparison{tc.c}}
			got := search.Match(f, func(string, string) (any, bool) { return tc.v, true })
			if got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
	if !search.Match(nil, nil) {
		t.Error("Match(nil) = false, want true")
	}
}
