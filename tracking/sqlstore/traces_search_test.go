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
