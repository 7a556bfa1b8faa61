package servertest

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
)

// MonitoringRuns returns the runs of the berth-monitoring experiment, where
// berth serve writes back what it observes; none before it exists.
func MonitoringRuns(tb testing.TB, c *mlflowrest.Client) []mlflowrest.Run {
	tb.Helper()
	ctx := context.Background()
	var exp mlflowrest.GetExperimentResponse
	err := c.Get(ctx, "experiments/get-by-name", url.Values{"experiment_name": {"berth-monitoring"}}, &exp)
	var apiErr *mlflowrest.ErrorResponse
	if errors.As(err, &apiErr) && apiErr.ErrorCode == mlflowrest.CodeResourceDoesNotExist {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	var found mlflowrest.SearchRunsResponse
	if err := c.Post(ctx, "runs/search", mlflowrest.SearchRunsRequest{ExperimentIDs: []string{exp.Experiment.ExperimentID}}, &found); err != nil {
		tb.Fatal(err)
	}
	return found.Runs
}

// MetricHistory returns a run's values of key, in order of step.
func MetricHistory(tb testing.TB, c *mlflowrest.Client, runID, key string) []float64 {
	tb.Helper()
	var hist mlflowrest.GetMetricHistoryResponse
	if err := c.Get(context.Background(), "metrics/get-history", url.Values{"run_id": {runID}, "metric_key": {key}}, &hist); err != nil {
		tb.Fatal(err)
	}
	slices.SortStableFunc(hist.Metrics, func(a, b mlflowrest.Metric) int { return int(a.Step - b.Step) })
	out := make([]float64, 0, len(hist.Metrics))
	for _, m := range hist.Metrics {
		out = append(out, float64(m.Value))
	}
	return out
}
