package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking/sqlstore"
)

// TestSearchTracesIndexedEquality: a span-name, span-type or tag equality
// answers the same traces whether its value is rare (read from migration
// 0006's prefix indexes) or common (over 2,000 rows: checked per trace), and
// two long values that share the indexed 200-character prefix stay apart.
func TestSearchTracesIndexedEquality(t *testing.T) {
	longA := strings.Repeat("n", 200) + "-a"
	longB := strings.Repeat("n", 200) + "-b"
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		exp, err := s.CreateExperiment(ctx, "indexed-equality", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		base := time.UnixMilli(1_700_000_000_000)
		const n = 2100 // over the store's rare limit of 2,000
		var spans []tracing.Span
		for i := 0; i < n; i++ {
			name := "predict"
			switch i {
			case 7:
				name = longA
			case 8:
				name = longB
			}
			start := base.Add(time.Duration(i) * time.Millisecond)
			spans = append(spans, tracing.Span{TraceID: fmt.Sprintf("tr-%032x", i+1), SpanID: fmt.Sprintf("%016x", i+1),
				Name: name, Type: "LLM", Status: "STATUS_CODE_OK", StartNanos: start.UnixNano(), EndNanos: start.UnixNano() + 1e6,
				Content: []byte(`{}`)})
		}
		if err := s.LogSpans(ctx, exp, spans); err != nil {
			t.Fatal(err)
		}
		if err := s.SetTraceTag(ctx, fmt.Sprintf("tr-%032x", 9), "env", longB); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			filter string
			want   []string // newest first; nil: count only
			count  int
		}{
			{filter: "span.name = '" + longA + "'", want: []string{fmt.Sprintf("tr-%032x", 8)}},
			{filter: "span.name = '" + longB + "'", want: []string{fmt.Sprintf("tr-%032x", 9)}},
			{filter: "span.name = '" + strings.Repeat("n", 200) + "'", want: []string{}},
			{filter: "span.name = 'nothing'", want: []string{}},
			{filter: "span.name = 'predict'", want: []string{fmt.Sprintf("tr-%032x", n), fmt.Sprintf("tr-%032x", n-1), fmt.Sprintf("tr-%032x", n-2)}},
			{filter: "span.type = 'LLM'", want: []string{fmt.Sprintf("tr-%032x", n), fmt.Sprintf("tr-%032x", n-1), fmt.Sprintf("tr-%032x", n-2)}},
			{filter: "tags.env = '" + longB + "'", want: []string{fmt.Sprintf("tr-%032x", 9)}},
			{filter: "tags.env = '" + longA + "'", want: []string{}},
			{filter: "tags.`mlflow.trace.spansLocation` = 'TRACKING_STORE'", want: []string{fmt.Sprintf("tr-%032x", n), fmt.Sprintf("tr-%032x", n-1), fmt.Sprintf("tr-%032x", n-2)}},
		}
		for _, tt := range tests {
			cond, err := tracing.ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("%.60s: %v", tt.filter, err)
			}
			order, err := tracing.ParseOrderBy(nil)
			if err != nil {
				t.Fatal(err)
			}
			infos, _, err := s.SearchTraces(ctx, tracing.SearchRequest{ExperimentIDs: []string{exp}, Filter: cond, OrderBy: order, MaxResults: 3})
			if err != nil {
				t.Fatalf("%.60s: %v", tt.filter, err)
			}
			got := []string{}
			for _, in := range infos {
				got = append(got, in.TraceID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%.60s: got %v, want %v", tt.filter, got, tt.want)
			}
		}
	})
}

// TestSearchTracesSpanAttributes: span.attributes.<key> filters on both
// backends, with a common value (over the rare limit: checked per trace) and
// rare ones (read from migration 0007's index), long values sharing the
// indexed prefix, each comparator, a span sent again with a new value, and
// attribute text PostgreSQL could not store (a NUL, invalid UTF-8), which
// must not refuse the spans.
func TestSearchTracesSpanAttributes(t *testing.T) {
	longA := strings.Repeat("m", 200) + "-a"
	longB := strings.Repeat("m", 200) + "-b"
	id := func(i int) string { return fmt.Sprintf("tr-%032x", i) }
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		exp, err := s.CreateExperiment(ctx, "span-attributes", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		base := time.UnixMilli(1_700_000_000_000)
		const n = 2100
		span := func(i int, attrs ...tracing.Attribute) tracing.Span {
			start := base.Add(time.Duration(i) * time.Millisecond)
			return tracing.Span{TraceID: id(i), SpanID: fmt.Sprintf("%016x", i), Name: "predict", Type: "LLM",
				Status: "STATUS_CODE_OK", StartNanos: start.UnixNano(), EndNanos: start.UnixNano() + 1e6,
				Content: []byte(`{}`), Attributes: attrs}
		}
		var spans []tracing.Span
		for i := 1; i <= n; i++ {
			attrs := []tracing.Attribute{{Key: "model", Value: "gpt"}}
			switch i {
			case 7:
				attrs = []tracing.Attribute{{Key: "model", Value: longA}}
			case 8:
				attrs = []tracing.Attribute{{Key: "model", Value: longB}}
			case 10:
				attrs = append(attrs, tracing.Attribute{Key: "user", Value: "Alice"},
					tracing.Attribute{Key: "mlflow.spanInputs", Value: `{"question": "which species?"}`})
			case 11:
				attrs = append(attrs, tracing.Attribute{Key: "tokens", Value: "12"}, tracing.Attribute{Key: "user", Value: "bob"})
			case 12:
				attrs = append(attrs, tracing.Attribute{Key: "odd", Value: "a\x00b\xffc"})
			case 14: // 200 characters (400 bytes): compared whole
				attrs = append(attrs, tracing.Attribute{Key: "edge", Value: strings.Repeat("é", 199) + "z"})
			case 15: // 199 characters: compared in the index
				attrs = append(attrs, tracing.Attribute{Key: "edge", Value: strings.Repeat("é", 199)})
			case 16:
				attrs = append(attrs, tracing.Attribute{Key: "edge", Value: strings.Repeat("x", 200)})
			}
			spans = append(spans, span(i, attrs...))
		}
		// Trace 17 has 2,100 more spans with an attribute no other trace
		// has: more rows than the rare limit, of one trace.
		for j := 1; j <= 2100; j++ {
			sp := span(17, tracing.Attribute{Key: "multi", Value: "many-spans"})
			sp.SpanID = fmt.Sprintf("%016x", 1_000_000+j)
			sp.ParentSpanID = fmt.Sprintf("%016x", 17)
			spans = append(spans, sp)
		}
		if err := s.LogSpans(ctx, exp, spans); err != nil {
			t.Fatal(err)
		}
		// Span 13 again: its model is now "claude".
		if err := s.LogSpans(ctx, exp, []tracing.Span{span(13, tracing.Attribute{Key: "model", Value: "claude"})}); err != nil {
			t.Fatal(err)
		}
		newest := []string{id(n), id(n - 1), id(n - 2)}
		for _, tt := range []struct {
			filter string
			want   []string // newest first, at most 3
		}{
			{"span.attributes.model = 'gpt'", newest},
			{"span.attributes.model = '" + longA + "'", []string{id(7)}},
			{"span.attributes.model = '" + longB + "'", []string{id(8)}},
			{"span.attributes.model = '" + strings.Repeat("m", 200) + "'", []string{}},
			{"span.attributes.model = 'claude'", []string{id(13)}},
			{"span.attributes.model = 'nothing'", []string{}},
			{"span.attributes.nokey = 'gpt'", []string{}},
			{"span.attributes.model != 'gpt'", []string{id(13), id(8), id(7)}},
			{"span.attributes.model LIKE 'mmm%-b'", []string{id(8)}},
			{"span.attributes.user ILIKE 'ALICE'", []string{id(10)}},
			{"span.attributes.user LIKE 'ALICE'", []string{}},
			{"span.attributes.`mlflow.spanInputs` LIKE '%species%'", []string{id(10)}},
			{"span.attributes.tokens = 12", []string{id(11)}},
			{"span.attributes.tokens = '12' AND span.attributes.user = 'bob'", []string{id(11)}},
			{"span.attributes.tokens = '12' AND span.attributes.user = 'Alice'", []string{}},
			{"span.attributes.odd LIKE 'a%b%c'", []string{id(12)}},
			// LIKE, ILIKE and != on values around the indexed prefix's 200
			// characters: a long value's prefix must not decide.
			{"span.attributes.model LIKE 'gp%'", newest},
			{"span.attributes.model LIKE 'mmm%'", []string{id(8), id(7)}},
			{"span.attributes.model LIKE 'm%m'", []string{}},
			{"span.attributes.model LIKE '%-a'", []string{id(7)}},
			{"span.attributes.model ILIKE 'MMM%-A'", []string{id(7)}},
			{"span.attributes.edge LIKE '%z'", []string{id(14)}},
			{"span.attributes.edge LIKE 'é%'", []string{id(15), id(14)}},
			{"span.attributes.edge LIKE '%é'", []string{id(15)}},
			{"span.attributes.edge LIKE '%x'", []string{id(16)}},
			{"span.attributes.edge != 'zzz'", []string{id(16), id(15), id(14)}},
			{"span.attributes.edge != '" + strings.Repeat("x", 200) + "'", []string{id(15), id(14)}},
			{"span.attributes.multi LIKE 'many%'", []string{id(17)}},
			{"span.attributes.multi = 'many-spans'", []string{id(17)}},
		} {
			cond, err := tracing.ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("%.60s: %v", tt.filter, err)
			}
			order, _ := tracing.ParseOrderBy(nil)
			infos, _, err := s.SearchTraces(ctx, tracing.SearchRequest{ExperimentIDs: []string{exp}, Filter: cond, OrderBy: order, MaxResults: 3})
			if err != nil {
				t.Fatalf("%.60s: %v", tt.filter, err)
			}
			got := []string{}
			for _, in := range infos {
				got = append(got, in.TraceID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%.60s: got %v, want %v", tt.filter, got, tt.want)
			}
		}
		// A deleted trace takes its attribute rows with it.
		if _, err := s.DeleteTraces(ctx, exp, []string{id(10)}, 0, 0); err != nil {
			t.Fatal(err)
		}
		cond, _ := tracing.ParseFilter("span.attributes.user = 'Alice'")
		order, _ := tracing.ParseOrderBy(nil)
		if infos, _, err := s.SearchTraces(ctx, tracing.SearchRequest{ExperimentIDs: []string{exp}, Filter: cond, OrderBy: order, MaxResults: 3}); err != nil || len(infos) != 0 {
			t.Errorf("after deleting trace 10: %d traces, %v", len(infos), err)
		}
	})
}
