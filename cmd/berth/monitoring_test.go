package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
)

// Helpers of the tests that read what berth serve writes back.

// monitoringRuns returns the runs of the berth-monitoring experiment;
// none before it exists.
func monitoringRuns(t *testing.T, c *mlflowrest.Client) []mlflowrest.Run {
	t.Helper()
	ctx := context.Background()
	var exp mlflowrest.GetExperimentResponse
	err := c.Get(ctx, "experiments/get-by-name", url.Values{"experiment_name": {"berth-monitoring"}}, &exp)
	var apiErr *mlflowrest.ErrorResponse
	if errors.As(err, &apiErr) && apiErr.ErrorCode == mlflowrest.CodeResourceDoesNotExist {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var found mlflowrest.SearchRunsResponse
	if err := c.Post(ctx, "runs/search", mlflowrest.SearchRunsRequest{ExperimentIDs: []string{exp.Experiment.ExperimentID}}, &found); err != nil {
		t.Fatal(err)
	}
	return found.Runs
}

// metricHistory returns a run's values of key, in order of step.
func metricHistory(t *testing.T, c *mlflowrest.Client, runID, key string) []float64 {
	t.Helper()
	var hist mlflowrest.GetMetricHistoryResponse
	if err := c.Get(context.Background(), "metrics/get-history", url.Values{"run_id": {runID}, "metric_key": {key}}, &hist); err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(hist.Metrics, func(a, b mlflowrest.Metric) int { return int(a.Step - b.Step) })
	out := make([]float64, 0, len(hist.Metrics))
	for _, m := range hist.Metrics {
		out = append(out, float64(m.Value))
	}
	return out
}

func sum(vs []float64) (s float64) {
	for _, v := range vs {
		s += v
	}
	return s
}

// scoreIris scores one iris row at url's /invocations.
func scoreIris(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Post(url+"/invocations", "application/json", strings.NewReader(
		`{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2]]}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scoring: %s", resp.Status)
	}
}
