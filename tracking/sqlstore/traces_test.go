package sqlstore_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking/sqlstore"
)

// seedTraces starts five traces in a new experiment, one a minute apart:
// tr-...0 to tr-...4, with spans, tags, metadata and an assessment.
func seedTraces(t *testing.T, s *sqlstore.Store, base time.Time) (string, []string) {
	t.Helper()
	ctx := context.Background()
	exp, err := s.CreateExperiment(ctx, fmt.Sprintf("traces-%d", time.Now().UnixNano()), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 5; i++ {
		id := fmt.Sprintf("tr-%032x", i+1)
		ids = append(ids, id)
		start := base.Add(time.Duration(i) * time.Minute)
		state := tracing.StateOK
		if i == 3 {
			state = tracing.StateError
		}
		sp := tracing.Span{TraceID: id, SpanID: fmt.Sprintf("%016x", i+1), Name: fmt.Sprintf("root%d", i), Type: "CHAIN",
			Status: "STATUS_CODE_OK", StartNanos: start.UnixNano(), EndNanos: start.UnixNano() + int64(i+1)*1e6, Content: []byte(`{}`),
			Attributes: []tracing.Attribute{{Key: "seed.index", Value: fmt.Sprint(i)}}}
		if i%2 == 1 {
			sp.Type = "LLM"
		}
		if err := s.LogSpans(ctx, exp, []tracing.Span{sp}); err != nil {
			t.Fatal(err)
		}
		_, err := s.StartTrace(ctx, tracing.TraceInfo{TraceID: id, ExperimentID: exp, RequestTime: start.UnixMilli(),
			Duration: int64(i + 1), State: state,
			Tags:     map[string]string{"env": []string{"test", "prod"}[i%2], tracing.TagTraceName: fmt.Sprintf("root%d", i)},
			Metadata: map[string]string{tracing.MetaSourceRun: []string{"run-a", "run-b"}[i/3]}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAssessment(ctx, tracing.Assessment{ID: fmt.Sprintf("a-%032x", i+1), TraceID: id, Name: "correct",
			Kind: tracing.EntityFeedback, Value: []string{"true", "false"}[i%2], Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	return exp, ids
}

func TestSearchTraces(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t)
			exp, ids := seedTraces(t, s, time.UnixMilli(1_700_000_000_000))
			tests := []struct {
				filter string
				order  []string
				want   []int // indexes into ids, in order
			}{
				{filter: "", want: []int{4, 3, 2, 1, 0}},
				{filter: "", order: []string{"timestamp_ms ASC"}, want: []int{0, 1, 2, 3, 4}},
				{filter: "trace.status = 'ERROR'", want: []int{3}},
				{filter: "trace.status != 'ERROR'", want: []int{4, 2, 1, 0}},
				{filter: "trace.status IN ('ERROR', 'OK')", order: []string{"timestamp_ms ASC"}, want: []int{0, 1, 2, 3, 4}},
				{filter: "tags.env = 'prod'", want: []int{3, 1}},
				{filter: "tags.env LIKE 'pr%'", want: []int{3, 1}},
				{filter: "tags.env ILIKE 'PROD'", want: []int{3, 1}},
				{filter: "trace.name = 'root2'", want: []int{2}},
				{filter: "attribute.run_id = 'run-b'", want: []int{4, 3}},
				{filter: "metadata.`mlflow.sourceRun` = 'run-a'", want: []int{2, 1, 0}},
				{filter: "trace.execution_time_ms >= 4", want: []int{4, 3}},
				{filter: "trace.timestamp_ms < 1700000120000", want: []int{1, 0}},
				{filter: "trace.end_time_ms > 1700000240000", want: []int{4}},
				{filter: "span.type = 'LLM'", want: []int{3, 1}},
				{filter: "span.name = 'root0'", want: []int{0}},
				{filter: "feedback.correct = false", want: []int{3, 1}},
				{filter: "tags.env = 'test' AND trace.status = 'OK'", want: []int{4, 2, 0}},
				{filter: "trace.request_id = '" + ids[1] + "'", want: []int{1}},
				{filter: "", order: []string{"execution_time_ms DESC"}, want: []int{4, 3, 2, 1, 0}},
				{filter: "", order: []string{"name ASC"}, want: []int{0, 1, 2, 3, 4}},
				{filter: "tags.nope = 'x'", want: nil},
			}
			for _, tt := range tests {
				cs, err := tracing.ParseFilter(tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				order, err := tracing.ParseOrderBy(tt.order)
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := s.SearchTraces(context.Background(), tracing.SearchRequest{ExperimentIDs: []string{exp},
					Filter: cs, OrderBy: order, MaxResults: 100})
				if err != nil {
					t.Fatalf("%q: %v", tt.filter, err)
				}
				var want, gotIDs []string
				for _, i := range tt.want {
					want = append(want, ids[i])
				}
				for _, g := range got {
					gotIDs = append(gotIDs, g.TraceID)
				}
				if fmt.Sprint(gotIDs) != fmt.Sprint(want) {
					t.Errorf("filter %q order %v: got %v, want %v", tt.filter, tt.order, gotIDs, want)
				}
			}
			// Paging: a full page says there may be more, as MLflow.
			page, next, err := s.SearchTraces(context.Background(), tracing.SearchRequest{ExperimentIDs: []string{exp},
				OrderBy: []tracing.Order{{Key: "timestamp_ms", Ascending: true}}, MaxResults: 2, Offset: 4})
			if err != nil || len(page) != 1 || next || page[0].TraceID != ids[4] {
				t.Fatalf("last page: %v %v %v", page, next, err)
			}
		})
	}
}

// TestPurgeTraces: retention deletes old traces with everything that hangs
// off them, and nothing newer.
func TestPurgeTraces(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t)
			ctx := context.Background()
			now := time.Now()
			_, ids := seedTraces(t, s, now.Add(-10*24*time.Hour-5*time.Minute)) // ten days and 5 to 1 minutes ago
			purged, err := s.TraceKeysForTest(ctx, ids[:3])
			if err != nil || len(purged) != 3 {
				t.Fatalf("keys of the traces to purge: %v, %v", purged, err)
			}
			kept, err := s.TraceKeysForTest(ctx, ids[3:])
			if err != nil {
				t.Fatal(err)
			}
			n, err := tracing.Purge(ctx, s, 10*24*time.Hour+2*time.Minute+30*time.Second, now)
			if err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Fatalf("purged %d traces, want 3 (those older than the cutoff)", n)
			}
			infos, spans, err := s.GetTraces(ctx, ids)
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, i := range infos {
				left = append(left, i.TraceID)
			}
			sort.Strings(left)
			if fmt.Sprint(left) != fmt.Sprint(ids[3:]) || len(spans) != 2 {
				t.Fatalf("left %v with spans of %d traces; want %v", left, len(spans), ids[3:])
			}
			rows, err := s.TraceRowsForTest(ctx, purged)
			if err != nil {
				t.Fatal(err)
			}
			for table, n := range rows {
				if n != 0 {
					t.Errorf("%s keeps %d rows of purged traces", table, n)
				}
			}
			if rows, _ := s.TraceRowsForTest(ctx, kept); rows["trace_info"] != 2 || rows["spans"] != 2 || rows["span_attributes"] == 0 ||
				rows["assessments"] != 2 || rows["trace_tags"] == 0 {
				t.Errorf("the kept traces lost rows: %v", rows)
			}
		})
	}
}
