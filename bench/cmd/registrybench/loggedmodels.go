package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
)

// benchLoggedModels measures POST logged-models/search (MLflow 3) over n
// logged models on SQLite: each model has two params, a tag and an acc
// metric logged by a run, as mlflow.<flavor>.log_model leaves them. Each
// query runs iters times in a row from one client; the table gives p50,
// p95 and p99 (the target is p95 ≤ 100 ms at 10,000 models).
func benchLoggedModels(ctx context.Context, berth string, n, iters int) error {
	base, stop, err := startServer(ctx, berth, "normal")
	if err != nil {
		return err
	}
	defer stop()
	c := &mlflowrest.Client{BaseURL: base}
	var run mlflowrest.RunResponse
	if err := c.Post(ctx, "runs/create", mlflowrest.CreateRunRequest{ExperimentID: "0"}, &run); err != nil {
		return err
	}
	runID := run.Run.Info.RunID
	start := time.Now()
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 2 {
				var m mlflowrest.LoggedModelResponse
				if err := c.Post(ctx, "logged-models", mlflowrest.CreateLoggedModelRequest{
					ExperimentID: "0", Name: "model-" + strconv.Itoa(i), SourceRunID: runID,
					Params: []mlflowrest.LoggedModelParam{{Key: "solver", Value: []string{"lbfgs", "saga"}[i%2]}, {Key: "C", Value: strconv.Itoa(i % 7)}},
					Tags:   []mlflowrest.LoggedModelTag{{Key: "team", Value: strconv.Itoa(i % 5)}},
				}, &m); err != nil {
					errs <- err
					return
				}
				ids[i] = m.Model.Info.ModelID
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("creating logged models: %w", err)
	default:
	}
	for lo := 0; lo < n; lo += 1000 {
		var ms []mlflowrest.Metric
		for i := lo; i < min(lo+1000, n); i++ {
			ms = append(ms, mlflowrest.Metric{Key: "acc", Value: mlflowrest.Float64(float64(i%1000) / 1000),
				Timestamp: mlflowrest.Int64(int64(i)), Step: 0, ModelID: ids[i]})
		}
		if err := c.Post(ctx, "runs/log-batch", mlflowrest.LogBatchRequest{RunID: runID, Metrics: ms}, nil); err != nil {
			return fmt.Errorf("logging metrics: %w", err)
		}
	}
	fmt.Printf("\nlogged-models/search over %d logged models, berth server on SQLite (seeded in %s), %d calls each, one client\n\n",
		n, time.Since(start).Round(time.Second), iters)
	fmt.Println("| query | models returned | p50 | p95 | p99 |")
	fmt.Println("|---|---:|---:|---:|---:|")
	desc := false
	asc := true
	hundred := 100
	queries := []struct {
		name string
		req  mlflowrest.SearchLoggedModelsRequest
	}{
		{"no filter (default order, 100 per page)", mlflowrest.SearchLoggedModelsRequest{}},
		{"metrics.acc > 0.5, order by metrics.acc DESC", mlflowrest.SearchLoggedModelsRequest{Filter: "metrics.acc > 0.5",
			OrderBy: []mlflowrest.LoggedModelOrderBy{{FieldName: "metrics.acc", Ascending: &desc}}}},
		{"params.solver = 'lbfgs' AND tags.team = '3'", mlflowrest.SearchLoggedModelsRequest{Filter: "params.solver = 'lbfgs' AND tags.team = '3'"}},
		{"name LIKE 'model-99%', order by name", mlflowrest.SearchLoggedModelsRequest{Filter: "name LIKE 'model-99%'",
			OrderBy: []mlflowrest.LoggedModelOrderBy{{FieldName: "name", Ascending: &asc}}}},
		{"page 50 of 100 (offset 4,900)", mlflowrest.SearchLoggedModelsRequest{MaxResults: &hundred, PageToken: pageToken(49 * 100)}},
	}
	for _, q := range queries {
		q.req.ExperimentIDs = []string{"0"}
		lat := make([]time.Duration, 0, iters)
		var got int
		for i := 0; i < iters; i++ {
			var resp mlflowrest.SearchLoggedModelsResponse
			t := time.Now()
			if err := c.Post(ctx, "logged-models/search", q.req, &resp); err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			lat = append(lat, time.Since(t))
			got = len(resp.Models)
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		ms := func(p int) float64 { return float64(lat[min(len(lat)-1, len(lat)*p/100)]) / 1e6 }
		fmt.Printf("| %s | %d | %.1f ms | %.1f ms | %.1f ms |\n", q.name, got, ms(50), ms(95), ms(99))
	}
	return nil
}

// pageToken is MLflow's page token for an offset, as berth's server makes
// it.
func pageToken(offset int) string {
	return base64Std(`{"offset": ` + strconv.Itoa(offset) + `}`)
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
