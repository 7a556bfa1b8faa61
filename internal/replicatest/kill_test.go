package replicatest_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthml/berth/internal/replicatest"
)

// testKill runs concurrent writers (create-run, log-metric, log-batch)
// through HAProxy, kills one replica with SIGKILL in the middle, and
// checks that HAProxy takes it out by its health check, that at most the
// requests in flight at the kill failed (one per writer), and that every
// write answered 200 is in the database afterwards.
func testKill(t *testing.T, c *replicatest.Cluster) {
	ctx := context.Background()
	const writers = 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: writers}, Timeout: 30 * time.Second}
	var exp struct {
		ExperimentID string `json:"experiment_id"`
	}
	if _, err := call(ctx, client, "POST", c.URL+"/api/2.0/mlflow/experiments/create", map[string]any{"name": "kill-" + time.Now().Format("150405.000")}, &exp); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		acked    []ack
		runs     []string
		failures []string
		failedAt []time.Time
		stop     atomic.Bool
		total    atomic.Int64
		wg       sync.WaitGroup
	)
	createRun := func() (string, error) {
		var run struct {
			Run struct {
				Info struct {
					RunID string `json:"run_id"`
				} `json:"info"`
			} `json:"run"`
		}
		_, err := call(ctx, client, "POST", c.URL+"/api/2.0/mlflow/runs/create", map[string]any{"experiment_id": exp.ExperimentID}, &run)
		return run.Run.Info.RunID, err
	}
	for w := range writers {
		run, err := createRun()
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock() // writers started earlier append to runs too
		runs = append(runs, run)
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(1); !stop.Load(); i++ {
				var err error
				var a []ack
				switch i % 5 {
				case 0:
					var id string
					if id, err = createRun(); err == nil {
						mu.Lock()
						runs = append(runs, id)
						mu.Unlock()
					}
				case 1, 3:
					_, err = call(ctx, client, "POST", c.URL+"/api/2.0/mlflow/runs/log-metric",
						map[string]any{"run_id": run, "key": "m", "value": float64(i), "timestamp": i, "step": i}, nil)
					a = []ack{{run, "m", i}}
				default:
					_, err = call(ctx, client, "POST", c.URL+"/api/2.0/mlflow/runs/log-batch", map[string]any{"run_id": run,
						"metrics": []map[string]any{{"key": "b1", "value": float64(i), "timestamp": i, "step": i}, {"key": "b2", "value": float64(i), "timestamp": i, "step": i}}}, nil)
					a = []ack{{run, "b1", i}, {run, "b2", i}}
				}
				total.Add(1)
				mu.Lock()
				if err != nil {
					failures = append(failures, fmt.Sprintf("writer %d op %d: %v", w, i, err))
					failedAt = append(failedAt, time.Now())
				} else {
					acked = append(acked, a...)
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(3 * time.Second)
	atKill := total.Load()
	killed := time.Now()
	c.Kill(1)
	down, err := c.WaitStatus(ctx, 1, "DOWN", 10*time.Second)
	if err != nil {
		t.Error(err)
	}
	t.Logf("SIGKILL of r1 after %d requests; HAProxy marked it DOWN %s later", atKill, down.Round(time.Millisecond))
	afterDown := total.Load()
	time.Sleep(3 * time.Second)
	stop.Store(true)
	wg.Wait()
	t.Logf("%d requests in all (%d after r1 was marked down), %d acknowledged metric writes, %d runs, %d failed, within %s of the kill",
		total.Load(), total.Load()-afterDown, len(acked), len(runs), len(failures), time.Since(killed).Round(time.Millisecond))
	for _, f := range failures {
		t.Log("failed: " + f)
	}
	// A writer's request in flight on r1 fails, and so may its next one
	// when HAProxy sends it to r1 while the kernel tears the process down,
	// or on a connection HAProxy closes because its r1 connection died:
	// nothing fails once HAProxy has marked r1 down.
	downAt := killed.Add(down)
	for i, at := range failedAt {
		if at.After(downAt.Add(200 * time.Millisecond)) {
			t.Errorf("a request failed %s after HAProxy marked r1 down: %s", at.Sub(downAt).Round(time.Millisecond), failures[i])
		}
	}
	if len(failures) > 2*writers {
		t.Errorf("%d requests failed; at most the %d writers' requests around the kill may", len(failures), writers)
	}
	if total.Load()-afterDown < 10 {
		t.Errorf("only %d requests after the replica went down: the load did not go on", total.Load()-afterDown)
	}

	// Every acknowledged write is found, read through the survivors.
	want := map[ack]bool{}
	for _, a := range acked {
		want[a] = true
	}
	type series struct{ run, key string }
	keys := map[series]bool{}
	for a := range want {
		keys[series{a.run, a.key}] = true
	}
	found := 0
	for s := range keys {
		token := ""
		for {
			var h struct {
				Metrics []struct {
					Step int64 `json:"step"`
				} `json:"metrics"`
				NextPageToken string `json:"next_page_token"`
			}
			q := fmt.Sprintf("%s/api/2.0/mlflow/metrics/get-history?run_id=%s&metric_key=%s&max_results=25000", c.URL, s.run, s.key)
			if token != "" {
				q += "&page_token=" + token
			}
			if _, err := call(ctx, client, "GET", q, nil, &h); err != nil {
				t.Fatal(err)
			}
			for _, m := range h.Metrics {
				if want[ack{s.run, s.key, m.Step}] {
					delete(want, ack{s.run, s.key, m.Step})
					found++
				}
			}
			if token = h.NextPageToken; token == "" {
				break
			}
		}
	}
	if len(want) > 0 {
		n := 0
		for a := range want {
			if n++; n <= 10 {
				t.Errorf("acknowledged write lost: run %s %s step %d", a.run, a.key, a.step)
			}
		}
		t.Errorf("%d of %d acknowledged metric writes lost", len(want), len(acked))
	}
	for _, id := range runs {
		if _, err := call(ctx, client, "GET", c.URL+"/api/2.0/mlflow/runs/get?run_id="+id, nil, nil); err != nil {
			t.Errorf("acknowledged run lost: %v", err)
		}
	}
	t.Logf("all %d acknowledged metric writes and %d runs found after the kill", found, len(runs))
	if found == 0 {
		t.Error("no write was acknowledged")
	}
}
