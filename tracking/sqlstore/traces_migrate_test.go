package sqlstore_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/berthml/berth/internal/pgtest"
	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking/sqlstore"
)

// TestMigration0012KeepsTraces: a database that migration 0011's schema
// holds traces in (rows as the code of that schema wrote them: text trace
// ids in every table) is migrated to 0012's trace keys with nothing lost.
// Traces read back whole (tags, metadata, assessments, spans), every kind
// of search filter finds them, keys follow request time, a new trace gets
// a fresh key, and deleting a migrated trace still empties every table.
func TestMigration0012KeepsTraces(t *testing.T) {
	ctx := context.Background()
	uris := map[string]string{"sqlite": filepath.Join(t.TempDir(), "old.db")}
	if uri := pgtest.URI(t); uri != "" {
		uris["postgres"] = pgtest.Database(t, uri)
	}
	for name, uri := range uris {
		t.Run(name, func(t *testing.T) {
			old, err := sqlstore.OpenAtSchemaForTest(ctx, uri, artifactRoot, 11)
			if err != nil {
				t.Fatal(err)
			}
			// Trace "b" is older than "a": its key must come first.
			const a, b, c = "tr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "tr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "tr-cccccccccccccccccccccccccccccccc"
			for _, st := range []struct {
				q    string
				args []any
			}{
				{`INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id,
					request_preview, response_preview) VALUES (?, 0, 2000, 5, 'OK', 'client-a', 'question a', 'answer a')`, []any{a}},
				{`INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id,
					request_preview, response_preview) VALUES (?, 0, 1000, 7, 'ERROR', NULL, NULL, NULL)`, []any{b}},
				{`INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id,
					request_preview, response_preview) VALUES (?, 0, 3000, 1, 'IN_PROGRESS', NULL, '', '')`, []any{c}},
				{`INSERT INTO trace_tags (request_id, key, value) VALUES (?, 'env', 'prod'), (?, 'mlflow.traceName', 'predict'),
					(?, 'env', 'dev')`, []any{a, a, b}},
				{`INSERT INTO trace_request_metadata (request_id, key, value) VALUES (?, 'mlflow.sourceRun', 'run1'), (?, 'user', 'ann')`, []any{a, b}},
				{`INSERT INTO spans (trace_id, span_id, parent_span_id, name, type, status, start_time_unix_nano, end_time_unix_nano,
					content) VALUES (?, '0000000000000001', NULL, 'root', 'CHAIN', 'STATUS_CODE_OK', 10, 50, '{"name":"root"}'),
					(?, '0000000000000002', '0000000000000001', 'llm', 'LLM', 'STATUS_CODE_OK', 20, 40, '{"name":"llm"}'),
					(?, '0000000000000003', NULL, 'other', 'TOOL', 'STATUS_CODE_ERROR', 5, 6, '{"name":"other"}')`, []any{a, a, b}},
				{`INSERT INTO span_attributes (trace_id, span_id, key, value) VALUES (?, '0000000000000002', 'llm.model', 'gpt-4o'),
					(?, '0000000000000003', 'llm.model', 'rare')`, []any{a, b}},
				{`INSERT INTO assessments (assessment_id, trace_id, name, kind, value, create_time, last_update_time, body)
					VALUES ('a-1', ?, 'correct', 'feedback', 'true', 100, 200, '{"assessment_id":"a-1"}')`, []any{a}},
			} {
				if err := old.ExecForTest(ctx, st.q, st.args...); err != nil {
					t.Fatalf("writing 0011's rows: %v\n%s", err, st.q)
				}
			}
			old.Close()

			s, err := sqlstore.Open(ctx, uri, artifactRoot)
			if err != nil {
				t.Fatalf("migrating to 0012: %v", err)
			}
			defer s.Close()
			infos, spans, err := s.GetTraces(ctx, []string{a, b, c})
			if err != nil {
				t.Fatal(err)
			}
			want := []tracing.TraceInfo{
				{TraceID: a, ExperimentID: "0", ClientRequestID: "client-a", RequestTime: 2000, Duration: 5, State: "OK",
					RequestPreview: "question a", ResponsePreview: "answer a",
					Tags: map[string]string{"env": "prod", "mlflow.traceName": "predict"}, Metadata: map[string]string{"mlflow.sourceRun": "run1"},
					Assessments: []tracing.Assessment{{ID: "a-1", TraceID: a, Name: "correct", Kind: "feedback", Value: "true",
						CreateTime: 100, LastUpdateTime: 200, Body: json.RawMessage(`{"assessment_id":"a-1"}`)}}},
				{TraceID: b, ExperimentID: "0", RequestTime: 1000, Duration: 7, State: "ERROR",
					Tags: map[string]string{"env": "dev"}, Metadata: map[string]string{"user": "ann"}},
				{TraceID: c, ExperimentID: "0", RequestTime: 3000, Duration: 1, State: "IN_PROGRESS",
					Tags: map[string]string{}, Metadata: map[string]string{}},
			}
			if !reflect.DeepEqual(infos, want) {
				t.Errorf("traces after the migration:\n got %+v\nwant %+v", infos, want)
			}
			wantSpans := map[string][]tracing.Span{
				a: {{TraceID: a, SpanID: "0000000000000001", Name: "root", Type: "CHAIN", Status: "STATUS_CODE_OK", StartNanos: 10, EndNanos: 50,
					Content: json.RawMessage(`{"name":"root"}`)},
					{TraceID: a, SpanID: "0000000000000002", ParentSpanID: "0000000000000001", Name: "llm", Type: "LLM", Status: "STATUS_CODE_OK",
						StartNanos: 20, EndNanos: 40, Content: json.RawMessage(`{"name":"llm"}`)}},
				b: {{TraceID: b, SpanID: "0000000000000003", Name: "other", Type: "TOOL", Status: "STATUS_CODE_ERROR", StartNanos: 5, EndNanos: 6,
					Content: json.RawMessage(`{"name":"other"}`)}},
			}
			if !reflect.DeepEqual(spans, wantSpans) {
				t.Errorf("spans after the migration:\n got %+v\nwant %+v", spans, wantSpans)
			}
			for filter, wantIDs := range map[string][]string{
				"tags.env = 'dev'":                         {b},
				"tags.env LIKE '%o%'":                      {a},
				"trace.name = 'predict'":                   {a},
				"trace.run_id = 'run1'":                    {a},
				"metadata.user = 'ann'":                    {b},
				"span.type = 'LLM'":                        {a},
				"span.name != 'root'":                      {b, a},
				"span.attributes.`llm.model` = 'rare'":     {b},
				"span.attributes.`llm.model` LIKE '%gpt%'": {a},
				"feedback.correct = true":                  {a},
				"trace.status = 'IN_PROGRESS'":             {c},
				"trace.request_id = '" + b + "'":           {b},
				"trace.timestamp_ms > 1500":                {a, c},
				"span.attributes.`llm.model` != 'rare'":    {a},
				"tags.env != 'dev'":                        {a},
			} {
				cs, err := tracing.ParseFilter(filter)
				if err != nil {
					t.Fatalf("%s: %v", filter, err)
				}
				got, _, err := s.SearchTraces(ctx, tracing.SearchRequest{ExperimentIDs: []string{"0"}, Filter: cs,
					OrderBy: []tracing.Order{{Key: "timestamp_ms", Ascending: true}}, MaxResults: 10})
				if err != nil {
					t.Fatalf("%s: %v", filter, err)
				}
				var ids []string
				for _, g := range got {
					ids = append(ids, g.TraceID)
				}
				if !reflect.DeepEqual(ids, wantIDs) {
					t.Errorf("%s after the migration: %v, want %v", filter, ids, wantIDs)
				}
			}
			keys, err := s.TraceKeysForTest(ctx, []string{b, a, c})
			if err != nil || len(keys) != 3 || !(keys[0] < keys[1] && keys[1] < keys[2]) {
				t.Fatalf("keys of b, a, c (request time order) = %v, %v; want increasing", keys, err)
			}
			// A new trace's key follows the migrated ones.
			const d = "tr-dddddddddddddddddddddddddddddddd"
			if err := s.LogSpans(ctx, "0", []tracing.Span{{TraceID: d, SpanID: "0000000000000004", Name: "new", Type: "LLM",
				Status: "STATUS_CODE_OK", StartNanos: 1, EndNanos: 2, Content: json.RawMessage(`{}`),
				Attributes: []tracing.Attribute{{Key: "k", Value: "v"}}}}); err != nil {
				t.Fatal(err)
			}
			dk, err := s.TraceKeysForTest(ctx, []string{d})
			if err != nil || len(dk) != 1 || dk[0] <= keys[2] {
				t.Fatalf("key of a trace logged after the migration = %v, %v; want above %d", dk, err, keys[2])
			}
			// The artifact location tag, left out of the tag value index
			// (0013), is still found by a filter, checked per trace.
			info, err := s.GetTraceInfo(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			loc := info.Tags[tracing.TagArtifactLocation]
			if loc == "" {
				t.Fatalf("trace d has no %s tag: %v", tracing.TagArtifactLocation, info.Tags)
			}
			for filter, wantIDs := range map[string][]string{
				"tags.`mlflow.artifactLocation` = '" + loc + "'":       {d},
				"tags.`mlflow.artifactLocation` LIKE '%/" + d + "/%'":  {d},
				"tags.`mlflow.trace.spansLocation` = 'TRACKING_STORE'": {d},
			} {
				cs, err := tracing.ParseFilter(filter)
				if err != nil {
					t.Fatalf("%s: %v", filter, err)
				}
				got, _, err := s.SearchTraces(ctx, tracing.SearchRequest{ExperimentIDs: []string{"0"}, Filter: cs, MaxResults: 10})
				if err != nil || len(got) != len(wantIDs) || got[0].TraceID != wantIDs[0] {
					t.Errorf("%s: %v, %v; want %v", filter, got, err, wantIDs)
				}
			}
			// Deleting a migrated trace cascades to everything under it.
			aKey := keys[1]
			if n, err := s.DeleteTraces(ctx, "0", []string{a}, 0, 0); err != nil || n != 1 {
				t.Fatalf("DeleteTraces(a) = %d, %v", n, err)
			}
			rows, err := s.TraceRowsForTest(ctx, []int64{aKey})
			if err != nil {
				t.Fatal(err)
			}
			for table, n := range rows {
				if n != 0 {
					t.Errorf("%s keeps %d rows of the deleted migrated trace", table, n)
				}
			}
			if rows, _ := s.TraceRowsForTest(ctx, keys[:1]); rows["spans"] != 1 || rows["span_attributes"] != 1 || rows["trace_tags"] != 1 {
				t.Errorf("trace b lost rows when a was deleted: %v", rows)
			}
		})
	}
}
