package sqlstore_test

import (
	"context"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

func cmp(kind, key, op string, v any) tracking.Comparison {
	return tracking.Comparison{Kind: kind, Key: key, Op: op, Value: v}
}

func TestSearchRuns(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		exp := mustExperiment(t, s, "search")
		mk := func(name string, start int64, acc float64, lr string, tags ...tracking.Tag) string {
			r, err := s.CreateRun(ctx, tracking.CreateRun{ExperimentID: exp, RunName: name, StartTime: start, UserID: "root", Tags: tags})
			if err != nil {
				t.Fatal(err)
			}
			id := r.Info.RunID
			if err := s.LogBatch(ctx, id, []tracking.Metric{{Key: "acc", Value: acc}}, []tracking.Param{{Key: "lr", Value: lr}}, nil); err != nil {
				t.Fatal(err)
			}
			return id
		}
		mk("run-1", 100, 0.83, "0.1", tracking.Tag{Key: "kind", Value: "baseline"})
		mk("run-2", 200, 0.42, "0.01")
		id3 := mk("run-3", 300, 0.95, "0.1", tracking.Tag{Key: "kind", Value: "broken"})
		if _, err := s.UpdateRun(ctx, id3, tracking.RunUpdate{Status: tracking.RunFailed}); err != nil {
			t.Fatal(err)
		}
		noMetric, _ := s.CreateRun(ctx, tracking.CreateRun{ExperimentID: exp, RunName: "run-4", StartTime: 50})
		if err := s.LogInputs(ctx, noMetric.Info.RunID, []tracking.DatasetInput{{Tags: []tracking.Tag{{Key: "mlflow.data.context", Value: "eval"}},
			Dataset: tracking.Dataset{Name: "iris", Digest: "d1", SourceType: "local", Source: "x"}}}); err != nil {
			t.Fatal(err)
		}
		deleted := mk("run-5", 400, 0.1, "0.3")
		if err := s.DeleteRun(ctx, deleted); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name  string
			q     tracking.RunQuery
			want  []string
			token string
			code  tracking.ErrorCode
		}{
			{name: "default order start_time desc", q: tracking.RunQuery{},
				want: []string{"run-3", "run-2", "run-1", "run-4"}},
			{name: "metric and param", q: tracking.RunQuery{
				Filter:  tracking.Filter{Comparisons: []tracking.Comparison{cmp("metric", "acc", ">", 0.5), cmp("param", "lr", "=", "0.1")}},
				OrderBy: []tracking.OrderBy{{Kind: "metric", Key: "acc"}}},
				want: []string{"run-3", "run-1"}},
			{name: "start_time asc page 1", q: tracking.RunQuery{MaxResults: 1, OrderBy: []tracking.OrderBy{{Kind: "attribute", Key: "start_time", Asc: true}}},
				want: []string{"run-4"}, token: "eyJvZmZzZXQiOiAxfQ=="},
			{name: "start_time asc page 2", q: tracking.RunQuery{MaxResults: 1, PageToken: "eyJvZmZzZXQiOiAxfQ==",
				OrderBy: []tracking.OrderBy{{Kind: "attribute", Key: "start_time", Asc: true}}},
				want: []string{"run-1"}, token: "eyJvZmZzZXQiOiAyfQ=="},
			{name: "tag and status", q: tracking.RunQuery{Filter: tracking.Filter{Comparisons: []tracking.Comparison{
				cmp("tag", "kind", "=", "broken"), cmp("attribute", "status", "=", "FAILED")}}},
				want: []string{"run-3"}},
			{name: "param like, order by param asc", q: tracking.RunQuery{
				Filter:  tracking.Filter{Comparisons: []tracking.Comparison{cmp("param", "lr", "LIKE", "0.%")}},
				OrderBy: []tracking.OrderBy{{Kind: "param", Key: "lr", Asc: true}}},
				want: []string{"run-2", "run-3", "run-1"}},
			{name: "metric order puts missing last", q: tracking.RunQuery{OrderBy: []tracking.OrderBy{{Kind: "metric", Key: "acc", Asc: true}}},
				want: []string{"run-2", "run-1", "run-3", "run-4"}},
			{name: "run name in", q: tracking.RunQuery{Filter: tracking.Filter{Comparisons: []tracking.Comparison{
				cmp("attribute", "run_name", "IN", []string{"run-1", "run-4"})}}},
				want: []string{"run-1", "run-4"}},
			{name: "run name ilike", q: tracking.RunQuery{Filter: tracking.Filter{Comparisons: []tracking.Comparison{
				cmp("attribute", "run_name", "ILIKE", "RUN-2")}}},
				want: []string{"run-2"}},
			{name: "tag not equal", q: tracking.RunQuery{Filter: tracking.Filter{Comparisons: []tracking.Comparison{
				cmp("tag", "kind", "!=", "broken")}}},
				want: []string{"run-1"}},
			{name: "dataset context", q: tracking.RunQuery{Filter: tracking.Filter{Comparisons: []tracking.Comparison{
				cmp("dataset", "context", "=", "eval"), cmp("dataset", "name", "=", "iris")}}},
				want: []string{"run-4"}},
			{name: "deleted only", q: tracking.RunQuery{ViewType: tracking.ViewDeletedOnly}, want: []string{"run-5"}},
			{name: "start_time numeric", q: tracking.RunQuery{Filter: tracking.Filter{Comparisons: []tracking.Comparison{
				cmp("attribute", "start_time", ">=", 200.0)}}},
				want: []string{"run-3", "run-2"}},
			{name: "fractional start_time", q: tracking.RunQuery{Filter: tracking.Filter{Comparisons: []tracking.Comparison{
				cmp("attribute", "start_time", ">", 250.5)}}},
				want: []string{"run-3"}},
			{name: "injection attempt is a value", q: tracking.RunQuery{Filter: tracking.Filter{Comparisons: []tracking.Comparison{
				cmp("param", "lr' OR '1'='1", "=", "x' OR '1'='1")}}}},
			{name: "too many results", q: tracking.RunQuery{MaxResults: 50001}, code: tracking.CodeInvalidParameterValue},
			{name: "string for metric", q: tracking.RunQuery{Filter: tracking.Filter{Comparisons: []tracking.Comparison{
				cmp("metric", "acc", ">", "x")}}}, code: tracking.CodeInvalidParameterValue},
			{name: "like on metric", q: tracking.RunQuery{Filter: tracking.Filter{Comparisons: []tracking.Comparison{
				cmp("metric", "acc", "LIKE", 1.0)}}}, code: tracking.CodeInvalidParameterValue},
			{name: "bad experiment id", q: tracking.RunQuery{ExperimentIDs: []string{"x"}}, code: tracking.CodeInvalidParameterValue},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := tt.q
				if q.ExperimentIDs == nil {
					q.ExperimentIDs = []string{exp}
				}
				if q.MaxResults == 0 {
					q.MaxResults = 1000
				}
				p, err := s.SearchRuns(ctx, q)
				wantCode(t, err, tt.code)
				if err != nil {
					return
				}
				var got []string
				for _, r := range p.Runs {
					got = append(got, r.Info.RunName)
				}
				if !equalStrings(got, tt.want) {
					t.Errorf("runs = %v, want %v", got, tt.want)
				}
				if p.NextPageToken != tt.token {
					t.Errorf("next page token = %q, want %q", p.NextPageToken, tt.token)
				}
			})
		}
	})
}
