package search_test

import (
	"errors"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

// filterSeeds are the seed corpus of every filter fuzz test.
var filterSeeds = []string{
	"",
	"metrics.acc > 0.5 and params.lr = '0.1'",
	"tags.kind = 'broken' and attributes.status = 'FAILED'",
	"params.lr LIKE '0.%'",
	"metrics.acc >",
	"name LIKE 'conf-%'",
	"name='iris-conf' and tag.validated = 'true'",
	"run_id IN ('ab', 'cd') AND version_number >= 2",
	"attributes.run_id NOT IN ('a', 'b''c', '\\x41')",
	"datasets.name IN ('iris') and datasets.context = \"train\"",
	"tags.`mlflow.runName` ILIKE \"%x%\"",
	"metrics.\"my key\" <= -1.5e3 and created > 5",
	"a = 1 OR b = 2; c",
	"(metrics.a > 1) and not x IS NULL",
	"params.a = 'abc",
	"run_id IN ('a',)",
}

// validOps are the operators a parsed comparison may carry.
var validOps = map[string]bool{
	"=": true, "!=": true, ">": true, ">=": true, "<": true, "<=": true,
	"LIKE": true, "ILIKE": true, "IN": true, "NOT IN": true,
}

// numericKeys are the attributes whose values are numbers.
var numericKeys = map[string]bool{
	"start_time": true, "end_time": true, "creation_time": true,
	"last_update_time": true, "version_number": true,
}

// checkFilter checks the invariants of a parse result: an error is an
// INVALID_PARAMETER_VALUE *tracking.Error; a filter has only valid kinds and
// operators, and values of the type the kind and operator call for.
func checkFilter(t *testing.T, in string, f *tracking.Filter, err error, kinds map[string]bool) {
	t.Helper()
	if err != nil {
		var te *tracking.Error
		if !errors.As(err, &te) || te.Code != tracking.CodeInvalidParameterValue || te.Message == "" {
			t.Fatalf("%q: error %#v is not an INVALID_PARAMETER_VALUE *tracking.Error", in, err)
		}
		if f != nil {
			t.Fatalf("%q: both a filter and an error", in)
		}
		return
	}
	if f == nil {
		t.Fatalf("%q: nil filter without an error", in)
	}
	for _, c := range f.Comparisons {
		if !kinds[c.Kind] || !validOps[c.Op] || c.Key == "" {
			t.Fatalf("%q: invalid comparison %+v", in, c)
		}
		switch {
		case c.Op == "IN" || c.Op == "NOT IN":
			if _, ok := c.Value.([]string); !ok {
				t.Fatalf("%q: %s with a %T value", in, c.Op, c.Value)
			}
		case c.Kind == tracking.KindMetric || (c.Kind == tracking.KindAttribute && numericKeys[c.Key]):
			if _, ok := c.Value.(float64); !ok {
				t.Fatalf("%q: numeric %s.%s with a %T value", in, c.Kind, c.Key, c.Value)
			}
			if c.Op == "LIKE" || c.Op == "ILIKE" {
				t.Fatalf("%q: %s on a number", in, c.Op)
			}
		default:
			if _, ok := c.Value.(string); !ok {
				t.Fatalf("%q: string %s.%s with a %T value", in, c.Kind, c.Key, c.Value)
			}
		}
	}
	// Evaluating the filter must not panic either.
	search.Match(f, func(kind, key string) (any, bool) { return key, true })
}

func fuzzFilter(f *testing.F, parse func(string) (*tracking.Filter, error), kinds ...string) {
	for _, s := range filterSeeds {
		f.Add(s)
	}
	allowed := map[string]bool{}
	for _, k := range kinds {
		allowed[k] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parse(s)
		checkFilter(t, s, got, err, allowed)
	})
}

func FuzzParseRunFilter(f *testing.F) {
	fuzzFilter(f, search.ParseRunFilter, metric, param, tag, attr, ds)
}

func FuzzParseExperimentFilter(f *testing.F) {
	fuzzFilter(f, search.ParseExperimentFilter, tag, attr)
}

func FuzzParseModelFilter(f *testing.F) {
	fuzzFilter(f, search.ParseModelFilter, tag, attr)
}

func FuzzParseModelVersionFilter(f *testing.F) {
	fuzzFilter(f, search.ParseModelVersionFilter, tag, attr)
}

func FuzzParseRunOrderBy(f *testing.F) {
	for _, s := range []string{"metrics.acc DESC", "attributes.start_time ASC", "params.lr",
		"tags.`a b` desc", `tags."x" asc`, "created", "", "a b c", "metrics.acc FOO"} {
		f.Add(s, "params.lr")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got, err := search.ParseRunOrderBy([]string{a, b})
		if err != nil {
			var te *tracking.Error
			if !errors.As(err, &te) || te.Code != tracking.CodeInvalidParameterValue {
				t.Fatalf("%q, %q: error %#v is not an INVALID_PARAMETER_VALUE *tracking.Error", a, b, err)
			}
			return
		}
		if len(got) != 2 {
			t.Fatalf("%q, %q: %d terms, want 2", a, b, len(got))
		}
		for _, o := range got {
			switch o.Kind {
			case tracking.KindMetric, tracking.KindParam, tracking.KindTag, tracking.KindAttribute:
			default:
				t.Fatalf("%q, %q: invalid kind in %+v", a, b, o)
			}
			if o.Key == "" {
				t.Fatalf("%q, %q: empty key in %+v", a, b, o)
			}
		}
		if got[0] == got[1] || (got[0].Kind == got[1].Kind && got[0].Key == got[1].Key) {
			t.Fatalf("%q, %q: duplicate field %+v", a, b, got)
		}
	})
}

func FuzzLike(f *testing.F) {
	for _, s := range [][2]string{{"abc", "a%"}, {"50%", `50\%`}, {"héllo", "h_llo"}, {"aaaa", "%a%a%a%a%a"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, p string) {
		l, il := search.Like(s, p), search.ILike(s, p)
		if l && !il {
			t.Fatalf("Like(%q, %q) but not ILike", s, p)
		}
		if search.Like(s, "%") != true {
			t.Fatalf("%q does not match %%", s)
		}
	})
}
