package ui_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/server"
	"github.com/berthml/berth/server/servertest"
	"github.com/berthml/berth/ui"
)

// startServer runs a real tracking and registry server with the UI.
func startServer(tb testing.TB, opts ...server.Option) (*httptest.Server, *mlflowrest.Client) {
	tb.Helper()
	ts := servertest.New(tb, append([]server.Option{server.WithUI(ui.Handler())}, opts...)...)
	return ts, &mlflowrest.Client{BaseURL: ts.URL}
}

// sweepRun is one run of the seeded "sweep" experiment.
type sweepRun struct {
	name, id  string
	lr, depth string
	accuracy  float64
}

// sweep is what seedSweep logged.
type sweep struct {
	expID string
	runs  []sweepRun // in the order they started
}

// The sweep's runs start a minute apart from t0, so the table's default
// order (newest first) is run-5 … run-0; their accuracies are not in that
// order, so that sorting by accuracy shows.
const t0 = int64(1_750_000_000_000)

var (
	sweepLR       = []string{"0.1", "0.01", "0.001"}
	sweepDepth    = []string{"2", "4"}
	sweepAccuracy = []float64{0.83, 0.71, 0.92, 0.65, 0.88, 0.77}
)

// sweepLoss is run i's loss at step: a decay of its own rate and floor, so
// that any two runs' curves are apart.
func sweepLoss(i, step int) float64 {
	return 2*math.Exp(-(0.08+0.05*float64(i))*float64(step)) + 0.15*float64(i)
}

// seedSweep logs the experiment "sweep": six finished runs with params lr
// and depth, 20 steps of loss and a final accuracy, and two artifacts
// (metrics.json and notes.txt) on run-0.
func seedSweep(tb testing.TB, c *mlflowrest.Client) sweep {
	tb.Helper()
	ctx := context.Background()
	expID := mustCreateExperiment(tb, c, "sweep")
	s := sweep{expID: expID}
	for i, acc := range sweepAccuracy {
		r := sweepRun{name: fmt.Sprintf("run-%d", i), lr: sweepLR[i%3], depth: sweepDepth[i/3], accuracy: acc}
		start := t0 + int64(i)*60_000
		var metrics []mlflowrest.Metric
		for step := range 20 {
			metrics = append(metrics, mlflowrest.Metric{Key: "loss", Value: mlflowrest.Float64(sweepLoss(i, step)),
				Timestamp: mlflowrest.Int64(start + int64(step)*1000), Step: mlflowrest.Int64(step)})
		}
		metrics = append(metrics, mlflowrest.Metric{Key: "accuracy", Value: mlflowrest.Float64(acc), Timestamp: mlflowrest.Int64(start + 20_000), Step: 19})
		var root string
		r.id, root = logRun(tb, c, expID, r.name, start, mlflowrest.LogBatchRequest{
			Params:  []mlflowrest.Param{{Key: "lr", Value: r.lr}, {Key: "depth", Value: r.depth}},
			Metrics: metrics,
		})
		if i == 0 {
			for name, body := range map[string]string{
				"metrics.json": fmt.Sprintf(`{"accuracy":%v,"confusion":[[9,1],[2,8]]}`, acc),
				"notes.txt":    "a sweep over lr and depth\n",
			} {
				if err := c.PutArtifact(ctx, root+"/"+name, strings.NewReader(body)); err != nil {
					tb.Fatalf("uploading %s: %v", name, err)
				}
			}
		}
		s.runs = append(s.runs, r)
	}
	return s
}

// seedModel registers testdata/models/iris_logreg twice as "iris" and
// points the alias champion at version 1.
func seedModel(tb testing.TB, c *mlflowrest.Client) {
	tb.Helper()
	ctx := context.Background()
	for range 2 {
		if _, err := modeluri.Register(ctx, c, modeluri.Registration{Dir: "../testdata/models/iris_logreg", Name: "iris"}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := c.Post(ctx, "registered-models/alias", mlflowrest.SetRegisteredModelAliasRequest{Name: "iris", Alias: "champion", Version: "1"}, nil); err != nil {
		tb.Fatalf("setting @champion: %v", err)
	}
}

// seedMany logs n runs in a new experiment, each with two params and two
// metrics, from several goroutines, and returns the experiment's id. The
// runs are left running: finishing them would take a third more requests.
func seedMany(tb testing.TB, c *mlflowrest.Client, name string, n int) string {
	tb.Helper()
	expID := mustCreateExperiment(tb, c, name)
	const workers = 16
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				_, err := createRun(c, expID, fmt.Sprintf("run-%04d", i), t0+int64(i)*1000, false, mlflowrest.LogBatchRequest{
					Params: []mlflowrest.Param{{Key: "lr", Value: strconv.FormatFloat(0.001*float64(1+i%10), 'f', -1, 64)}, {Key: "seed", Value: strconv.Itoa(i)}},
					Metrics: []mlflowrest.Metric{
						{Key: "accuracy", Value: mlflowrest.Float64(0.5 + 0.5*float64(i%100)/100), Timestamp: mlflowrest.Int64(t0 + int64(i)*1000)},
						{Key: "loss", Value: mlflowrest.Float64(1 / float64(1+i%37)), Timestamp: mlflowrest.Int64(t0 + int64(i)*1000)},
					},
				})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatalf("seeding %d runs: %v", n, err)
	}
	return expID
}

func mustCreateExperiment(tb testing.TB, c *mlflowrest.Client, name string) string {
	tb.Helper()
	var exp mlflowrest.CreateExperimentResponse
	if err := c.Post(context.Background(), "experiments/create", mlflowrest.CreateExperimentRequest{Name: name}, &exp); err != nil {
		tb.Fatalf("creating experiment %s: %v", name, err)
	}
	return exp.ExperimentID
}

// logRun creates a run that started at start, logs batch to it and
// finishes it; it returns the run's id and its artifact root for the
// artifact proxy.
func logRun(tb testing.TB, c *mlflowrest.Client, expID, name string, start int64, batch mlflowrest.LogBatchRequest) (id, root string) {
	tb.Helper()
	run, err := createRun(c, expID, name, start, true, batch)
	if err != nil {
		tb.Fatal(err)
	}
	root, ok := strings.CutPrefix(strings.TrimRight(run.Info.ArtifactURI, "/"), "mlflow-artifacts:/")
	if !ok {
		tb.Fatalf("run %s: artifact URI %q is not the server's proxy", name, run.Info.ArtifactURI)
	}
	return run.Info.RunID, strings.TrimLeft(root, "/")
}

// createRun creates a run that started at start and logs batch to it;
// with finish, it ends the run 30 s after its start.
func createRun(c *mlflowrest.Client, expID, name string, start int64, finish bool, batch mlflowrest.LogBatchRequest) (*mlflowrest.Run, error) {
	ctx := context.Background()
	var run mlflowrest.RunResponse
	if err := c.Post(ctx, "runs/create", mlflowrest.CreateRunRequest{ExperimentID: expID, RunName: name, StartTime: mlflowrest.Int64(start)}, &run); err != nil {
		return nil, fmt.Errorf("creating run %s: %w", name, err)
	}
	batch.RunID = run.Run.Info.RunID
	if err := c.Post(ctx, "runs/log-batch", batch, nil); err != nil {
		return nil, fmt.Errorf("logging to run %s: %w", name, err)
	}
	if !finish {
		return &run.Run, nil
	}
	end := mlflowrest.Int64(start + 30_000)
	if err := c.Post(ctx, "runs/update", mlflowrest.UpdateRunRequest{RunID: batch.RunID, Status: "FINISHED", EndTime: &end}, nil); err != nil {
		return nil, fmt.Errorf("finishing run %s: %w", name, err)
	}
	return &run.Run, nil
}
