package sqlstore_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

func TestCreateAndGetRun(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		exp := mustExperiment(t, s, "e")
		r, err := s.CreateRun(ctx, tracking.CreateRun{ExperimentID: exp, UserID: "root", RunName: "conf-run-1", StartTime: 1795839575004,
			Tags: []tracking.Tag{{Key: "mlflow.user", Value: "root"}, {Key: "team", Value: "ml"}, {Key: "mlflow.runName", Value: "conf-run-1"}}})
		if err != nil {
			t.Fatal(err)
		}
		i := r.Info
		if len(i.RunID) != 32 || i.ExperimentID != exp || i.RunName != "conf-run-1" || i.Status != tracking.RunRunning ||
			i.StartTime != 1795839575004 || i.EndTime != nil || i.LifecycleStage != "active" ||
			i.ArtifactURI != "mlflow-artifacts:/"+exp+"/"+i.RunID+"/artifacts" {
			t.Errorf("run info = %+v", i)
		}
		if len(r.Data.Tags) != 3 || len(r.Data.Metrics) != 0 || len(r.Data.Params) != 0 {
			t.Errorf("run data = %+v", r.Data)
		}
		// No name: the mlflow.runName tag is added with a generated name.
		r2 := mustRun(t, s, exp, tracking.Tag{Key: "kind", Value: "broken"})
		if r2.Info.RunName == "" || len(r2.Data.Tags) != 2 || r2.Data.Tags[1] != (tracking.Tag{Key: "mlflow.runName", Value: r2.Info.RunName}) {
			t.Errorf("generated name: info %+v tags %v", r2.Info, r2.Data.Tags)
		}

		tests := []struct {
			name string
			call func() error
			code tracking.ErrorCode
			msg  string
		}{
			{"missing experiment", func() error {
				_, err := s.CreateRun(ctx, tracking.CreateRun{ExperimentID: "999"})
				return err
			}, tracking.CodeResourceDoesNotExist, "No Experiment with id=999 exists"},
			{"name conflicts with tag", func() error {
				_, err := s.CreateRun(ctx, tracking.CreateRun{ExperimentID: exp, RunName: "a", Tags: []tracking.Tag{{Key: "mlflow.runName", Value: "b"}}})
				return err
			}, tracking.CodeInvalidParameterValue, ""},
			{"missing run", func() error { _, err := s.GetRun(ctx, strings.Repeat("0", 32)); return err },
				tracking.CodeResourceDoesNotExist, "Run with id=00000000000000000000000000000000 not found"},
			{"malformed run id", func() error { _, err := s.GetRun(ctx, "not-a-run-id"); return err },
				tracking.CodeResourceDoesNotExist, "Run with id=not-a-run-id not found"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if tt.msg != "" {
					wantMessage(t, err, tt.code, tt.msg)
				} else {
					wantCode(t, err, tt.code)
				}
			})
		}
	})
}

func TestUpdateDeleteRestoreRun(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		r := mustRun(t, s, "0")
		id := r.Info.RunID
		end := int64(1795839577474)
		info, err := s.UpdateRun(ctx, id, tracking.RunUpdate{Status: tracking.RunFinished, EndTime: &end})
		if err != nil {
			t.Fatal(err)
		}
		if info.Status != tracking.RunFinished || info.EndTime == nil || *info.EndTime != end {
			t.Errorf("updated = %+v", info)
		}
		// An empty update (an unknown status dropped by the HTTP layer) changes nothing.
		if info, err = s.UpdateRun(ctx, id, tracking.RunUpdate{}); err != nil || info.Status != tracking.RunFinished {
			t.Errorf("empty update = %+v, %v", info, err)
		}
		if info, err = s.UpdateRun(ctx, id, tracking.RunUpdate{RunName: "renamed"}); err != nil || info.RunName != "renamed" {
			t.Errorf("rename = %+v, %v", info, err)
		}
		got, _ := s.GetRun(ctx, id)
		if tagValue(got.Data.Tags, "mlflow.runName") != "renamed" {
			t.Errorf("tags after rename = %v", got.Data.Tags)
		}
		if err := s.DeleteRun(ctx, id); err != nil {
			t.Fatal(err)
		}
		got, err = s.GetRun(ctx, id)
		if err != nil || got.Info.LifecycleStage != tracking.LifecycleDeleted {
			t.Fatalf("deleted run = %+v, %v", got, err)
		}
		wantCode(t, s.LogParam(ctx, id, tracking.Param{Key: "a", Value: "1"}), tracking.CodeInvalidParameterValue)
		if err := s.RestoreRun(ctx, id); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.LogParam(ctx, id, tracking.Param{Key: "a", Value: "1"}), "")
		_, err = s.UpdateRun(ctx, id, tracking.RunUpdate{Status: "BOGUS"})
		wantCode(t, err, tracking.CodeInvalidParameterValue)
		wantCode(t, s.DeleteRun(ctx, "nope"), tracking.CodeResourceDoesNotExist)
		_, err = s.UpdateRun(ctx, "nope", tracking.RunUpdate{})
		wantCode(t, err, tracking.CodeResourceDoesNotExist)
	})
}

func tagValue(tags []tracking.Tag, key string) string {
	for _, t := range tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

func TestLogging(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		r := mustRun(t, s, "0")
		id := r.Info.RunID
		long := strings.Repeat("x", 7000)
		tests := []struct {
			name string
			call func() error
			code tracking.ErrorCode
			msg  string
		}{
			{"param", func() error { return s.LogParam(ctx, id, tracking.Param{Key: "lr", Value: "0.1"}) }, "", ""},
			{"same param again", func() error { return s.LogParam(ctx, id, tracking.Param{Key: "lr", Value: "0.1"}) }, "", ""},
			{"changed param", func() error { return s.LogParam(ctx, id, tracking.Param{Key: "lr", Value: "0.2"}) },
				tracking.CodeInvalidParameterValue,
				"Changing param values is not allowed. Param with key='lr' was already logged with value='0.1' for run ID='" + id + "'. Attempted logging new value '0.2'."},
			{"slash key", func() error { return s.LogParam(ctx, id, tracking.Param{Key: "model/depth", Value: "3"}) }, "", ""},
			{"bad key", func() error { return s.LogParam(ctx, id, tracking.Param{Key: "bad key!", Value: "1"}) },
				tracking.CodeInvalidParameterValue,
				`Invalid value "bad key!" for parameter 'key' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`},
			{"escape key", func() error { return s.LogParam(ctx, id, tracking.Param{Key: "../escape", Value: "1"}) },
				tracking.CodeInvalidParameterValue,
				`Invalid value "../escape" for parameter 'key' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '../escape'`},
			{"absolute key", func() error { return s.LogParam(ctx, id, tracking.Param{Key: "/abs", Value: "1"}) },
				tracking.CodeInvalidParameterValue, ""},
			{"long key", func() error { return s.LogParam(ctx, id, tracking.Param{Key: strings.Repeat("k", 251), Value: "1"}) },
				tracking.CodeInvalidParameterValue,
				"Param key '" + strings.Repeat("k", 250) + "' had length 251, which exceeded length limit of 250"},
			{"long tag key", func() error { return s.SetTag(ctx, id, tracking.Tag{Key: strings.Repeat("t", 251), Value: "1"}) },
				tracking.CodeInvalidParameterValue, ""},
			{"long value truncated", func() error { return s.LogParam(ctx, id, tracking.Param{Key: "long_value", Value: long}) }, "", ""},
			{"empty value", func() error { return s.LogParam(ctx, id, tracking.Param{Key: "nv"}) }, "", ""},
			{"metric", func() error {
				return s.LogMetric(ctx, id, tracking.Metric{Key: "acc", Value: 0.55, Timestamp: 1732800000000})
			}, "", ""},
			{"metric step 2", func() error {
				return s.LogMetric(ctx, id, tracking.Metric{Key: "acc", Value: 0.83, Timestamp: 1732800002000, Step: 2})
			}, "", ""},
			{"metric step 1 later", func() error {
				return s.LogMetric(ctx, id, tracking.Metric{Key: "acc", Value: 0.71, Timestamp: 1732800009000, Step: 1})
			}, "", ""},
			{"duplicate metric", func() error {
				return s.LogMetric(ctx, id, tracking.Metric{Key: "acc", Value: 0.71, Timestamp: 1732800009000, Step: 1})
			}, "", ""},
			{"nan", func() error {
				return s.LogMetric(ctx, id, tracking.Metric{Key: "nan_metric", Value: math.NaN(), Timestamp: 5})
			}, "", ""},
			{"inf", func() error {
				return s.LogMetric(ctx, id, tracking.Metric{Key: "inf_metric", Value: math.Inf(1), Timestamp: 5})
			}, "", ""},
			{"negative timestamp", func() error { return s.LogMetric(ctx, id, tracking.Metric{Key: "m", Timestamp: -1}) },
				tracking.CodeInvalidParameterValue, ""},
			{"metric to missing run", func() error { return s.LogMetric(ctx, "nope", tracking.Metric{Key: "m"}) },
				tracking.CodeResourceDoesNotExist, ""},
			{"tag", func() error { return s.SetTag(ctx, id, tracking.Tag{Key: "stage", Value: "dev"}) }, "", ""},
			{"tag overwrite", func() error { return s.SetTag(ctx, id, tracking.Tag{Key: "stage", Value: "prod"}) }, "", ""},
			{"tag delete", func() error { return s.SetTag(ctx, id, tracking.Tag{Key: "tmp", Value: "x"}) }, "", ""},
			{"tag delete 2", func() error { return s.DeleteTag(ctx, id, "tmp") }, "", ""},
			{"delete missing tag", func() error { return s.DeleteTag(ctx, id, "tmp") }, tracking.CodeResourceDoesNotExist, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if tt.msg != "" {
					wantMessage(t, err, tt.code, tt.msg)
				} else {
					wantCode(t, err, tt.code)
				}
			})
		}
		got, err := s.GetRun(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		params := map[string]string{}
		for _, p := range got.Data.Params {
			params[p.Key] = p.Value
		}
		if len(params["long_value"]) != 6000 || params["nv"] != "" || params["lr"] != "0.1" || len(got.Data.Params) != 4 {
			t.Errorf("params = %d entries, long_value %d chars", len(got.Data.Params), len(params["long_value"]))
		}
		if tagValue(got.Data.Tags, "stage") != "prod" || tagValue(got.Data.Tags, "tmp") != "" {
			t.Errorf("tags = %v", got.Data.Tags)
		}
		metrics := map[string]tracking.Metric{}
		var order []string
		for _, m := range got.Data.Metrics {
			metrics[m.Key] = m
			order = append(order, m.Key)
		}
		if !equalStrings(order, []string{"acc", "nan_metric", "inf_metric"}) {
			t.Errorf("metric order = %v", order)
		}
		if m := metrics["acc"]; m.Value != 0.83 || m.Step != 2 {
			t.Errorf("latest acc = %+v, want the step-2 value", m)
		}
		if !math.IsNaN(metrics["nan_metric"].Value) || metrics["inf_metric"].Value != math.MaxFloat64 {
			t.Errorf("nan/inf = %v %v", metrics["nan_metric"].Value, metrics["inf_metric"].Value)
		}
		hist, err := s.GetMetricHistory(ctx, id, "acc")
		if err != nil {
			t.Fatal(err)
		}
		var steps []int64
		for _, m := range hist {
			steps = append(steps, m.Step)
		}
		if len(steps) != 3 || steps[0] != 0 || steps[1] != 1 || steps[2] != 2 {
			t.Errorf("history steps = %v", steps)
		}
		if h, err := s.GetMetricHistory(ctx, id, "no_such_metric"); err != nil || len(h) != 0 {
			t.Errorf("unknown metric history = %v, %v", h, err)
		}
		_, err = s.GetMetricHistory(ctx, "nope", "acc")
		wantCode(t, err, tracking.CodeResourceDoesNotExist)
	})
}

func TestLatestMetricRule(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		log  []tracking.Metric
		want tracking.Metric
	}{
		{"max step wins over later timestamp", []tracking.Metric{{Value: 1, Step: 5, Timestamp: 1}, {Value: 2, Step: 4, Timestamp: 9}},
			tracking.Metric{Value: 1, Step: 5, Timestamp: 1}},
		{"then max timestamp", []tracking.Metric{{Value: 1, Step: 1, Timestamp: 3}, {Value: 2, Step: 1, Timestamp: 2}},
			tracking.Metric{Value: 1, Step: 1, Timestamp: 3}},
		{"then max value", []tracking.Metric{{Value: 1, Step: 1, Timestamp: 3}, {Value: 7, Step: 1, Timestamp: 3}, {Value: 2, Step: 1, Timestamp: 3}},
			tracking.Metric{Value: 7, Step: 1, Timestamp: 3}},
	}
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := mustRun(t, s, "0").Info.RunID
				for _, m := range tt.log {
					m.Key = "k"
					if err := s.LogMetric(ctx, id, m); err != nil {
						t.Fatal(err)
					}
				}
				r, _ := s.GetRun(ctx, id)
				want := tt.want
				want.Key = "k"
				if len(r.Data.Metrics) != 1 || r.Data.Metrics[0] != want {
					t.Errorf("latest = %+v, want %+v", r.Data.Metrics, want)
				}
			})
		}
	})
}

func TestLogBatch(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		id := mustRun(t, s, "0").Info.RunID
		many := func(n int) []tracking.Metric {
			ms := make([]tracking.Metric, n)
			for i := range ms {
				ms[i] = tracking.Metric{Key: "m", Value: float64(i), Step: int64(i)}
			}
			return ms
		}
		manyParams := make([]tracking.Param, 101)
		for i := range manyParams {
			manyParams[i] = tracking.Param{Key: "p" + strings.Repeat("x", i), Value: "1"}
		}
		tests := []struct {
			name    string
			metrics []tracking.Metric
			params  []tracking.Param
			tags    []tracking.Tag
			code    tracking.ErrorCode
			msg     string
		}{
			{name: "all kinds", metrics: []tracking.Metric{{Key: "acc", Value: 0.9}, {Key: "acc", Value: 0.95, Step: 1}},
				params: []tracking.Param{{Key: "lr", Value: "0.1"}}, tags: []tracking.Tag{{Key: "batch", Value: "yes"}}},
			{name: "duplicate param keys", params: []tracking.Param{{Key: "p", Value: "1"}, {Key: "p", Value: "2"}},
				code: tracking.CodeInvalidParameterValue,
				msg:  "Duplicate parameter keys have been submitted: ['p']. Please ensure the request contains only one param value per param key."},
			{name: "1000 metrics", metrics: many(1000)},
			{name: "1001 metrics", metrics: many(1001), code: tracking.CodeInvalidParameterValue,
				msg: "A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again."},
			{name: "101 params", params: manyParams, code: tracking.CodeInvalidParameterValue},
			{name: "changed param rolls back the batch", metrics: []tracking.Metric{{Key: "rollback", Value: 1}},
				params: []tracking.Param{{Key: "lr", Value: "0.5"}}, code: tracking.CodeInvalidParameterValue},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.LogBatch(ctx, id, tt.metrics, tt.params, tt.tags)
				if tt.msg != "" {
					wantMessage(t, err, tt.code, tt.msg)
				} else {
					wantCode(t, err, tt.code)
				}
			})
		}
		r, _ := s.GetRun(ctx, id)
		for _, m := range r.Data.Metrics {
			if m.Key == "rollback" {
				t.Error("a failed batch left a metric behind")
			}
		}
		if h, _ := s.GetMetricHistory(ctx, id, "m"); len(h) != 1000 {
			t.Errorf("history of m has %d values, want 1000", len(h))
		}
	})
}

func TestLogInputs(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		id := mustRun(t, s, "0").Info.RunID
		in := tracking.DatasetInput{Tags: []tracking.Tag{{Key: "mlflow.data.context", Value: "training"}},
			Dataset: tracking.Dataset{Name: "iris", Digest: "abc123", SourceType: "local", Source: `{"uri": "/x"}`, Schema: "{}"}}
		for i := 0; i < 2; i++ { // the second time is a no-op
			if err := s.LogInputs(ctx, id, []tracking.DatasetInput{in}); err != nil {
				t.Fatal(err)
			}
		}
		r, _ := s.GetRun(ctx, id)
		if len(r.Inputs) != 1 || r.Inputs[0].Dataset != in.Dataset || len(r.Inputs[0].Tags) != 1 {
			t.Errorf("inputs = %+v", r.Inputs)
		}
		wantCode(t, s.LogInputs(ctx, id, []tracking.DatasetInput{{Dataset: tracking.Dataset{Name: "x"}}}), tracking.CodeInvalidParameterValue)
	})
}
