package search_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

func TestParseLoggedModelFilter(t *testing.T) {
	cmp := func(kind, key, op string, v any) tracking.Comparison {
		return tracking.Comparison{Kind: kind, Key: key, Op: op, Value: v}
	}
	for _, c := range []struct {
		in   string
		want []tracking.Comparison
	}{
		{"", nil},
		{"   ", nil},
		// The three filters of the MLflow 3.6 transcript.
		{"metrics.acc > 0.5", []tracking.Comparison{cmp(tracking.KindMetric, "acc", ">", 0.5)}},
		{"name = 'iris_lr'", []tracking.Comparison{cmp(tracking.KindAttribute, "name", "=", "iris_lr")}},
		{"tags.stage = 'dev' AND params.penalty = 'l2'", []tracking.Comparison{
			cmp(tracking.KindTag, "stage", "=", "dev"), cmp(tracking.KindParam, "penalty", "=", "l2")}},
		{"attributes.name LIKE 'iris%' and metrics.`val acc` <= -1e-3", []tracking.Comparison{
			cmp(tracking.KindAttribute, "name", "LIKE", "iris%"), cmp(tracking.KindMetric, "val acc", "<=", -1e-3)}},
		{`tags."mlflow.source.type" != "LOCAL"`, []tracking.Comparison{cmp(tracking.KindTag, "mlflow.source.type", "!=", "LOCAL")}},
		{"params.solver in ('lbfgs', 'it''s')", []tracking.Comparison{cmp(tracking.KindParam, "solver", "IN", []string{"lbfgs", "it's"})}},
		{"model_id NOT IN ('m-1')", []tracking.Comparison{cmp(tracking.KindAttribute, "model_id", "NOT IN", []string{"m-1"})}},
		{"creation_time >= 1700000000000 AND status = 'LOGGED_MODEL_READY'", []tracking.Comparison{
			cmp(tracking.KindAttribute, "creation_time", ">=", 1.7e12), cmp(tracking.KindAttribute, "status", "=", "LOGGED_MODEL_READY")}},
		{"name ilike '%LR%'", []tracking.Comparison{cmp(tracking.KindAttribute, "name", "ILIKE", "%LR%")}},
	} {
		f, err := search.ParseLoggedModelFilter(c.in)
		if err != nil {
			t.Errorf("ParseLoggedModelFilter(%q): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(f.Comparisons, c.want) {
			t.Errorf("ParseLoggedModelFilter(%q) = %#v, want %#v", c.in, f.Comparisons, c.want)
		}
	}
}

func TestParseLoggedModelFilterErrors(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		// MLflow 3.6's own messages, from the transcript.
		{"metrics.acc >>> 0.5", "Invalid comparison operator for metrics.acc: '>>>'. Expected one of ('=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN')."},
		{"foo.bar = 'x'", "Invalid entity type: 'foo'. Expected one of ['attributes', 'metrics', 'params', 'tags']."},
		{"metrics.acc LIKE 0.5", "Invalid comparison operator for metrics.acc: 'LIKE'. Expected one of ('=', '!=', '<', '<=', '>', '>=')."},
		{"params.p > 'a'", "Invalid comparison operator for params.p: '>'"},
		{"bogus = 'x'", "Invalid attribute: 'bogus'"},
		{"attributes.bogus = 'x'", "Invalid attribute: 'bogus'"},
		{"metrics.acc > 'high'", "expected a number"},
		{"params.p = 1", "expected a quoted string"},
		{"params.p = 'a", "unterminated string"},
		{"params.p IN 'a'", "expected a list"},
		{"params.p = ('a')", "Use IN or NOT IN"},
		{"params.p IN ()", "a list takes quoted strings"},
		{"params.p IN ('a',", "unterminated list"},
		{"metrics.a > 1 metrics.b > 2", "expected AND"},
		{"metrics.a > 1 AND", "ends with AND"},
		{"metrics.a > 1 OR metrics.b > 2", "expected AND"},
		{"metrics.a >", "ends where a value is expected"},
		{"metrics. > 1", "has no key"},
		{"metrics.a > nan", "expected a quoted string or a number"},
		{"metrics.a > 0x10", "expected a quoted string or a number"},
		{"= 1", "expected an identifier"},
		{strings.Repeat("metrics.a > 1 AND ", search.MaxFilterComparisons) + "metrics.a > 1", "more than 50 comparisons"},
	} {
		_, err := search.ParseLoggedModelFilter(c.in)
		if !errors.Is(err, tracking.ErrInvalidParameter) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseLoggedModelFilter(%q) = %v, want INVALID_PARAMETER_VALUE containing %q", c.in, err, c.msg)
		}
	}
}

func TestParseLoggedModelOrderBy(t *testing.T) {
	got, err := search.ParseLoggedModelOrderBy([]search.LoggedModelOrder{
		{FieldName: "metrics.acc", DatasetName: "iris"},
		{FieldName: "creation_time", Ascending: true},
		{FieldName: "metrics.`a b`"},
	})
	want := []tracking.LoggedModelOrder{
		{Kind: tracking.KindMetric, Key: "acc", DatasetName: "iris"},
		{Kind: tracking.KindAttribute, Key: "creation_time", Asc: true},
		{Kind: tracking.KindMetric, Key: "a b"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseLoggedModelOrderBy = %#v, %v; want %#v", got, err, want)
	}
	for _, bad := range []string{"params.p", "tags.t", "foo.bar", "bogus", "metrics."} {
		if _, err := search.ParseLoggedModelOrderBy([]search.LoggedModelOrder{{FieldName: bad}}); !errors.Is(err, tracking.ErrInvalidParameter) {
			t.Errorf("ParseLoggedModelOrderBy(%q) = %v, want INVALID_PARAMETER_VALUE", bad, err)
		}
	}
}

// FuzzParseLoggedModelFilter checks that any input either parses into
// comparisons the store can render (a known kind, operator and value type)
// or fails with INVALID_PARAMETER_VALUE, never panics.
func FuzzParseLoggedModelFilter(f *testing.F) {
	for _, s := range append([]string{
		"metrics.acc >>> 0.5", "foo.bar = 'x'", "tags.stage = 'dev' AND params.penalty = 'l2'",
		"params.solver in ('lbfgs', 'it''s')", "metrics.`a b` <= -1e308", "name NOT  IN ('x')",
	}, filterSeeds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := search.ParseLoggedModelFilter(s)
		if err != nil {
			if !errors.Is(err, tracking.ErrInvalidParameter) {
				t.Fatalf("ParseLoggedModelFilter(%q): %v is not INVALID_PARAMETER_VALUE", s, err)
			}
			return
		}
		if len(fl.Comparisons) > search.MaxFilterComparisons {
			t.Fatalf("%q: %d comparisons", s, len(fl.Comparisons))
		}
		for _, c := range fl.Comparisons {
			if !validOps[c.Op] || c.Key == "" {
				t.Fatalf("%q: comparison %#v", s, c)
			}
			switch v := c.Value.(type) {
			case float64:
				if c.Kind != tracking.KindMetric && c.Kind != tracking.KindAttribute || math.IsNaN(v) {
					t.Fatalf("%q: number for %#v", s, c)
				}
			case string:
				if c.Kind == tracking.KindMetric || c.Op == "IN" || c.Op == "NOT IN" {
					t.Fatalf("%q: string for %#v", s, c)
				}
			case []string:
				if len(v) == 0 || c.Op != "IN" && c.Op != "NOT IN" {
					t.Fatalf("%q: list for %#v", s, c)
				}
			default:
				t.Fatalf("%q: value %T", s, c.Value)
			}
		}
	})
}
