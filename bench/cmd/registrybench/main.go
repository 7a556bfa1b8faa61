// Command registrybench measures berth server's tracking and registry
// throughput on SQLite: log-metric, log-batch (100 metrics) and registry
// reads, over HTTP from keep-alive clients, with SQLite's synchronous mode
// normal (berth's default) and full. `make bench` runs it after berthbench.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/bench/loadgen"
)

func main() {
	berth := flag.String("berth", "bin/berth", "berth binary")
	d := flag.Duration("duration", 3*time.Second, "how long each cell runs")
	loggedModels := flag.Int("logged-models", 0, "instead, measure logged-models/search over this many MLflow 3 logged models")
	iters := flag.Int("iterations", 200, "with -logged-models: calls of each search")
	flag.Parse()
	if *loggedModels > 0 {
		if err := benchLoggedModels(context.Background(), *berth, *loggedModels, *iters); err != nil {
			fmt.Fprintln(os.Stderr, "registrybench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), *berth, *d); err != nil {
		fmt.Fprintln(os.Stderr, "registrybench:", err)
		os.Exit(1)
	}
}

var ready = regexp.MustCompile(`msg=ready addr=(http://\S+)`)

// startServer runs berth server on a fresh SQLite database.
func startServer(ctx context.Context, berth, sync string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "registrybench-")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, berth, "server", "--port", "0", "--sqlite-synchronous", sync,
		"--backend-store-uri", "sqlite:///"+filepath.Join(dir, "berth.db"), "--artifacts-destination", filepath.Join(dir, "artifacts"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		os.RemoveAll(dir)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := ready.FindStringSubmatch(sc.Text()); m != nil {
			go func() {
				for sc.Scan() {
				}
			}()
			return m[1], stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("berth server exited before it was ready")
}

func run(ctx context.Context, berth string, d time.Duration) error {
	fmt.Printf("\nberth server on SQLite, %s per cell\n\n", d)
	fmt.Println("| synchronous | operation | clients | req/s | p50 | p99 |")
	fmt.Println("|---|---|---:|---:|---:|---:|")
	for _, sync := range []string{"normal", "full"} {
		base, stop, err := startServer(ctx, berth, sync)
		if err != nil {
			return err
		}
		c := &mlflowrest.Client{BaseURL: base}
		var run mlflowrest.RunResponse
		if err := c.Post(ctx, "runs/create", mlflowrest.CreateRunRequest{ExperimentID: "0"}, &run); err != nil {
			stop()
			return err
		}
		runID := run.Run.Info.RunID
		if err := c.Post(ctx, "registered-models/create", mlflowrest.CreateRegisteredModelRequest{Name: "iris"}, nil); err != nil {
			stop()
			return err
		}
		ops := []struct {
			name string
			f    func(w, i int) error
		}{
			{"log-metric", func(w, i int) error {
				v, ts := mlflowrest.Float64(float64(i)), mlflowrest.Int64(time.Now().UnixMilli())
				return c.Post(ctx, "runs/log-metric", mlflowrest.LogMetricRequest{RunID: runID, Key: "loss" + strconv.Itoa(w),
					Value: &v, Timestamp: &ts, Step: mlflowrest.Int64(i)}, nil)
			}},
			{"log-batch (100 metrics)", func(w, i int) error {
				ms := make([]mlflowrest.Metric, 100)
				for k := range ms {
					ms[k] = mlflowrest.Metric{Key: "m" + strconv.Itoa(k), Value: mlflowrest.Float64(float64(i)),
						Timestamp: mlflowrest.Int64(time.Now().UnixMilli()), Step: mlflowrest.Int64(w*1_000_000 + i)}
				}
				return c.Post(ctx, "runs/log-batch", mlflowrest.LogBatchRequest{RunID: runID, Metrics: ms}, nil)
			}},
			{"registered-models/get", func(int, int) error {
				return c.Get(ctx, "registered-models/get", url.Values{"name": {"iris"}}, nil)
			}},
			{"runs/get", func(int, int) error {
				return c.Get(ctx, "runs/get", url.Values{"run_id": {runID}}, nil)
			}},
		}
		for _, op := range ops {
			for _, conc := range []int{1, 8} {
				r := loadgen.Measure(conc, d, op.f)
				if r.Err != nil {
					stop()
					return fmt.Errorf("%s: %w", op.name, r.Err)
				}
				fmt.Printf("| %s | %s | %d | %.0f | %.2f ms | %.2f ms |\n", sync, op.name, conc, r.RPS,
					float64(r.P50)/1e6, float64(r.P99)/1e6)
			}
		}
		stop()
	}
	return nil
}
