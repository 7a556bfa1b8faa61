package sqlstore_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
	"github.com/berthml/berth/tracking/sqlstore"
)

func modelNames(ms []tracking.LoggedModel) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func searchModels(t *testing.T, s *sqlstore.Store, filter string, order []search.LoggedModelOrder, q tracking.LoggedModelQuery) *tracking.LoggedModelPage {
	t.Helper()
	f, err := search.ParseLoggedModelFilter(filter)
	if err != nil {
		t.Fatal(err)
	}
	q.Filter = *f
	if q.OrderBy, err = search.ParseLoggedModelOrderBy(order); err != nil {
		t.Fatal(err)
	}
	if q.MaxResults == 0 {
		q.MaxResults = 100
	}
	if q.ExperimentIDs == nil {
		q.ExperimentIDs = []string{"0"}
	}
	page, err := s.SearchLoggedModels(context.Background(), q)
	if err != nil {
		t.Fatalf("search %q: %v", filter, err)
	}
	return page
}

func TestLoggedModels(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		run := mustRun(t, s, "0")
		m, err := s.CreateLoggedModel(ctx, tracking.CreateLoggedModel{ExperimentID: "0", Name: "lr", SourceRunID: run.Info.RunID,
			Params: []tracking.Param{{Key: "solver", Value: "lbfgs"}, {Key: "C", Value: "1.0"}},
			Tags:   []tracking.Tag{{Key: "z", Value: "1"}, {Key: "a", Value: "2"}}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.ModelID, "m-") || len(m.ModelID) != 34 || m.Status != tracking.LoggedModelPending ||
			m.ArtifactURI != "mlflow-artifacts:/0/models/"+m.ModelID+"/artifacts" || m.SourceRunID != run.Info.RunID {
			t.Errorf("created %+v", m)
		}
		// Tags and params come back ordered by key, as MLflow answers.
		if !reflect.DeepEqual(m.Tags, []tracking.Tag{{Key: "a", Value: "2"}, {Key: "z", Value: "1"}}) ||
			!reflect.DeepEqual(m.Params, []tracking.Param{{Key: "C", Value: "1.0"}, {Key: "solver", Value: "lbfgs"}}) {
			t.Errorf("tags %v params %v", m.Tags, m.Params)
		}
		_, err = s.CreateLoggedModel(ctx, tracking.CreateLoggedModel{ExperimentID: "99", Name: "x"})
		wantCode(t, err, tracking.CodeResourceDoesNotExist)
		_, err = s.CreateLoggedModel(ctx, tracking.CreateLoggedModel{ExperimentID: "0", Name: "x", SourceRunID: "0123456789abcdef0123456789abcdef"})
		wantCode(t, err, tracking.CodeResourceDoesNotExist)

		// A param key the model has is BAD_REQUEST, as MLflow's unique
		// constraint answers; new keys are added.
		wantCode(t, s.LogLoggedModelParams(ctx, m.ModelID, []tracking.Param{{Key: "C", Value: "2.0"}}), tracking.CodeBadRequest)
		wantCode(t, s.LogLoggedModelParams(ctx, m.ModelID, []tracking.Param{{Key: "tol", Value: "1e-4"}}), "")

		wantCode(t, s.SetLoggedModelTags(ctx, m.ModelID, []tracking.Tag{{Key: "stage", Value: "dev"}, {Key: "a", Value: "3"}}), "")
		wantCode(t, s.DeleteLoggedModelTag(ctx, m.ModelID, "z"), "")
		wantCode(t, s.DeleteLoggedModelTag(ctx, m.ModelID, "z"), tracking.CodeResourceDoesNotExist)

		wantCode(t, s.LogModelMetrics(ctx, []tracking.ModelMetric{
			{Metric: tracking.Metric{Key: "acc", Value: 0.9, Timestamp: 5, Step: 0}, ModelID: m.ModelID, RunID: run.Info.RunID},
			{Metric: tracking.Metric{Key: "loss", Value: math.NaN(), Timestamp: 6, Step: 0}, ModelID: m.ModelID, RunID: run.Info.RunID, DatasetName: "iris", DatasetDigest: "d1"},
		}), "")
		wantCode(t, s.LogModelMetrics(ctx, []tracking.ModelMetric{{Metric: tracking.Metric{Key: "acc", Value: 1}, ModelID: "m-00000000000000000000000000000000"}}),
			tracking.CodeResourceDoesNotExist)

		got, err := s.FinalizeLoggedModel(ctx, m.ModelID, tracking.LoggedModelReady)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != tracking.LoggedModelReady || got.LastUpdatedTimestampMS <= m.LastUpdatedTimestampMS ||
			!reflect.DeepEqual(got.Tags, []tracking.Tag{{Key: "a", Value: "3"}, {Key: "stage", Value: "dev"}}) || len(got.Params) != 3 ||
			len(got.Metrics) != 2 || got.Metrics[0].Key != "acc" || !math.IsNaN(got.Metrics[1].Value) || got.Metrics[1].DatasetName != "iris" {
			t.Errorf("finalized %+v", got)
		}

		// mlflow.modelVersions grows atomically.
		for _, v := range []string{"1", "2"} {
			wantCode(t, s.UpdateLoggedModelTag(ctx, m.ModelID, tracking.ModelVersionsTag, func(old string, ok bool) (string, error) {
				return old + v, nil
			}), "")
		}
		got, _ = s.GetLoggedModel(ctx, m.ModelID)
		if got.Tags[1].Key != tracking.ModelVersionsTag || got.Tags[1].Value != "12" {
			t.Errorf("tags after updates %v", got.Tags)
		}

		// Runs record models as inputs and outputs.
		wantCode(t, s.LogRunModels(ctx, run.Info.RunID, []string{m.ModelID}, []tracking.RunModelOutput{{ModelID: m.ModelID, Step: 3}}), "")
		wantCode(t, s.LogRunModels(ctx, run.Info.RunID, []string{m.ModelID}, nil), "")
		wantCode(t, s.LogRunModels(ctx, run.Info.RunID, []string{"m-00000000000000000000000000000000"}, nil), tracking.CodeResourceDoesNotExist)
		other := mustRun(t, s, "0")
		rm, err := s.GetRunModels(ctx, []string{run.Info.RunID, other.Info.RunID})
		if err != nil || len(rm) != 1 ||
			!reflect.DeepEqual(rm[run.Info.RunID], &tracking.RunModels{Inputs: []string{m.ModelID}, Outputs: []tracking.RunModelOutput{{ModelID: m.ModelID, Step: 3}}}) {
			t.Errorf("run models %+v, %v", rm, err)
		}

		// A deleted model is not found, as MLflow answers.
		wantCode(t, s.DeleteLoggedModel(ctx, m.ModelID), "")
		_, err = s.GetLoggedModel(ctx, m.ModelID)
		wantMessage(t, err, tracking.CodeResourceDoesNotExist, "Logged model with ID '"+m.ModelID+"' not found.")
		wantCode(t, s.DeleteLoggedModel(ctx, m.ModelID), tracking.CodeResourceDoesNotExist)
		wantCode(t, s.SetLoggedModelTags(ctx, m.ModelID, []tracking.Tag{{Key: "k", Value: "v"}}), tracking.CodeResourceDoesNotExist)
		_, err = s.FinalizeLoggedModel(ctx, m.ModelID, tracking.LoggedModelReady)
		wantCode(t, err, tracking.CodeResourceDoesNotExist)
	})
}

func TestSearchLoggedModels(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		exp, err := s.CreateExperiment(ctx, "other", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		acc := map[string]float64{"a": 0.5, "b": 0.9, "c": 0.7}
		for _, name := range []string{"a", "b", "c", "d", "Big"} {
			m, err := s.CreateLoggedModel(ctx, tracking.CreateLoggedModel{ExperimentID: "0", Name: name,
				Params: []tracking.Param{{Key: "p", Value: name}}, Tags: []tracking.Tag{{Key: "kind", Value: map[bool]string{true: "x", false: "y"}[name < "c"]}}})
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := acc[name]; ok {
				ms := []tracking.ModelMetric{{Metric: tracking.Metric{Key: "acc", Value: v, Step: 1}, ModelID: m.ModelID, DatasetName: "iris"}}
				if name == "b" {
					// An older step's value on another dataset.
					ms = append(ms, tracking.ModelMetric{Metric: tracking.Metric{Key: "acc", Value: 0.1, Step: 0}, ModelID: m.ModelID, DatasetName: "wine"})
				}
				if err := s.LogModelMetrics(ctx, ms); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := s.CreateLoggedModel(ctx, tracking.CreateLoggedModel{ExperimentID: exp, Name: "elsewhere"}); err != nil {
			t.Fatal(err)
		}
		desc := []search.LoggedModelOrder{{FieldName: "metrics.acc"}}
		for _, c := range []struct {
			filter string
			order  []search.LoggedModelOrder
			q      tracking.LoggedModelQuery
			want   []string
		}{
			{"", nil, tracking.LoggedModelQuery{}, []string{"Big", "d", "c", "b", "a"}},
			{"", []search.LoggedModelOrder{{FieldName: "name", Ascending: true}}, tracking.LoggedModelQuery{}, []string{"Big", "a", "b", "c", "d"}},
			// Models without the metric come last in either direction.
			{"", desc, tracking.LoggedModelQuery{}, []string{"b", "c", "a", "Big", "d"}},
			{"", []search.LoggedModelOrder{{FieldName: "metrics.acc", Ascending: true}}, tracking.LoggedModelQuery{}, []string{"a", "c", "b", "Big", "d"}},
			{"metrics.acc > 0.6", desc, tracking.LoggedModelQuery{}, []string{"b", "c"}},
			{"metrics.acc < 0.2", nil, tracking.LoggedModelQuery{}, []string{}},
			// On a dataset, the value logged there counts.
			{"metrics.acc < 0.2", nil, tracking.LoggedModelQuery{Datasets: []tracking.DatasetRef{{Name: "wine"}}}, []string{"b"}},
			{"", []search.LoggedModelOrder{{FieldName: "metrics.acc", DatasetName: "wine"}}, tracking.LoggedModelQuery{}, []string{"b", "Big", "d", "c", "a"}},
			{"tags.kind = 'x' AND params.p != 'a'", nil, tracking.LoggedModelQuery{}, []string{"Big", "b"}},
			{"params.p IN ('a', 'd')", nil, tracking.LoggedModelQuery{}, []string{"d", "a"}},
			{"name LIKE 'B%'", nil, tracking.LoggedModelQuery{}, []string{"Big"}},
			{"name ILIKE 'b%'", []search.LoggedModelOrder{{FieldName: "name", Ascending: true}}, tracking.LoggedModelQuery{}, []string{"Big", "b"}},
			{"status = 'LOGGED_MODEL_PENDING' AND creation_time > 0", nil, tracking.LoggedModelQuery{MaxResults: 2}, []string{"Big", "d"}},
			{"", nil, tracking.LoggedModelQuery{ExperimentIDs: []string{"0", exp}}, []string{"elsewhere", "Big", "d", "c", "b", "a"}},
		} {
			page := searchModels(t, s, c.filter, c.order, c.q)
			if got := modelNames(page.Models); !reflect.DeepEqual(got, c.want) {
				t.Errorf("search %q order %v %+v = %v, want %v", c.filter, c.order, c.q.Datasets, got, c.want)
			}
		}
		// Paging walks every model once.
		var all []string
		q := tracking.LoggedModelQuery{MaxResults: 2}
		for i := 0; i < 10; i++ {
			page := searchModels(t, s, "", desc, q)
			all = append(all, modelNames(page.Models)...)
			if page.NextPageToken == "" {
				break
			}
			q.PageToken = page.NextPageToken
		}
		if want := []string{"b", "c", "a", "Big", "d"}; !reflect.DeepEqual(all, want) {
			t.Errorf("paged %v, want %v", all, want)
		}
		for _, bad := range []tracking.LoggedModelQuery{
			{ExperimentIDs: []string{"0"}, MaxResults: 0},
			{ExperimentIDs: []string{"0"}, MaxResults: tracking.MaxLoggedModelResults + 1},
			{ExperimentIDs: []string{"0"}, MaxResults: 1, PageToken: "!!"},
		} {
			_, err := s.SearchLoggedModels(ctx, bad)
			wantCode(t, err, tracking.CodeInvalidParameterValue)
		}
		// An experiment id that is no number names no experiment, as
		// everywhere else in berth.
		_, err = s.SearchLoggedModels(ctx, tracking.LoggedModelQuery{ExperimentIDs: []string{"x"}, MaxResults: 1})
		wantCode(t, err, tracking.CodeResourceDoesNotExist)
	})
}

// BenchmarkSearchLoggedModels measures logged-models/search's store query
// over 1,000 models with params, tags and metrics (a few seconds to seed;
// `go run ./bench/cmd/registrybench -logged-models 10000` measures 10,000
// over HTTP).
func BenchmarkSearchLoggedModels(b *testing.B) {
	ctx := context.Background()
	s, _ := openSQLite(b)
	seedLoggedModels(b, s, 1_000)
	f, _ := search.ParseLoggedModelFilter("metrics.acc > 0.5 AND params.solver = 'lbfgs'")
	order, _ := search.ParseLoggedModelOrderBy([]search.LoggedModelOrder{{FieldName: "metrics.acc"}})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.SearchLoggedModels(ctx, tracking.LoggedModelQuery{ExperimentIDs: []string{"0"}, Filter: *f, OrderBy: order, MaxResults: 100}); err != nil {
			b.Fatal(err)
		}
	}
}

// seedLoggedModels makes n logged models in experiment 0, each with two
// params, a tag and an acc metric.
func seedLoggedModels(tb testing.TB, s *sqlstore.Store, n int) {
	ctx := context.Background()
	for i := 0; i < n; i++ {
		m, err := s.CreateLoggedModel(ctx, tracking.CreateLoggedModel{ExperimentID: "0", Name: fmt.Sprintf("model-%d", i),
			Params: []tracking.Param{{Key: "solver", Value: []string{"lbfgs", "saga"}[i%2]}, {Key: "C", Value: fmt.Sprint(i % 7)}},
			Tags:   []tracking.Tag{{Key: "team", Value: fmt.Sprint(i % 5)}}})
		if err != nil {
			tb.Fatal(err)
		}
		if err := s.LogModelMetrics(ctx, []tracking.ModelMetric{{Metric: tracking.Metric{Key: "acc", Value: float64(i%1000) / 1000, Step: 0}, ModelID: m.ModelID}}); err != nil {
			tb.Fatal(err)
		}
	}
}
