// Command replicabench measures log-metric throughput through HAProxy with
// 1 and then 3 `berth server` replicas on one PostgreSQL database, in the
// same run, with wrk as the client, and the figures of the capacity model in
// docs/scale-out.md: requests per CPU-second of the replicas, of
// PostgreSQL and of HAProxy, and the database transactions and rows
// written per request (pg_stat_database).
//
//	go run ./bench/cmd/replicabench -berth bin/berth
//
// PostgreSQL comes from scripts/start-postgres.sh (a fresh database per
// cluster); artifacts go to a local directory, since log-metric writes none.
// PostgreSQL's CPU is not measured: its cluster is shared with other tests
// on this machine, and database/sql's pool opens and closes backends under
// load, so no process set stands for this database's work alone.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/internal/replicatest"

	"github.com/berthml/berth/bench/proccpu"
)

func main() {
	berth := flag.String("berth", "bin/berth", "the berth binary")
	conns := flag.Int("c", 16, "wrk connections")
	dur := flag.Duration("d", 8*time.Second, "wrk duration per cluster")
	counts := flag.String("replicas", "1,3", "replica counts to measure, in order")
	flag.Parse()
	if err := run(*berth, *conns, *dur, *counts); err != nil {
		fmt.Fprintln(os.Stderr, "replicabench:", err)
		os.Exit(1)
	}
}

type result struct {
	replicas          int
	rps               float64
	latency           string
	berthCPU          float64 // CPU-seconds over the measurement
	haproxyCPU        float64
	commits, inserted int64
	requests          int64
}

func run(berth string, conns int, dur time.Duration, counts string) error {
	var results []result
	for _, f := range strings.Split(counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-replicas %q", counts)
		}
		r, err := measure(berth, n, conns, dur)
		if err != nil {
			return fmt.Errorf("%d replicas: %w", n, err)
		}
		results = append(results, r)
	}
	cores := runtimeCores()
	fmt.Printf("\nberth server log-metric through HAProxy on PostgreSQL, wrk %d connections, %s each, this machine: %d cores (shared)\n", conns, dur, cores)
	fmt.Printf("%-9s %10s %9s %16s %14s %12s\n", "replicas", "req/s", "latency", "req/berth-cpu-s", "req/haproxy-s", "commits/req")
	for _, r := range results {
		fmt.Printf("%-9d %10.0f %9s %16.0f %14.0f %12.2f\n", r.replicas, r.rps, r.latency,
			float64(r.requests)/r.berthCPU, float64(r.requests)/r.haproxyCPU, float64(r.commits)/float64(r.requests))
	}
	if len(results) >= 2 {
		fmt.Printf("ratio %d vs %d replicas: %.2fx\n", results[len(results)-1].replicas, results[0].replicas, results[len(results)-1].rps/results[0].rps)
	}
	return nil
}

func runtimeCores() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

func measure(berth string, n, conns int, dur time.Duration) (result, error) {
	res := result{replicas: n}
	out, err := exec.Command("scripts/start-postgres.sh").Output()
	if err != nil {
		return res, fmt.Errorf("scripts/start-postgres.sh: %w", err)
	}
	pg := strings.TrimSpace(string(out))
	dir, err := os.MkdirTemp("", "replicabench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	c, err := replicatest.Start(ctx, replicatest.Config{Berth: berth, PostgresURI: pg, Artifacts: filepath.Join(dir, "artifacts"), Replicas: n, Dir: dir})
	if err != nil {
		return res, err
	}
	defer c.Close()
	resp, err := http.Post(c.URL+"/api/2.0/mlflow/runs/create", "application/json", strings.NewReader(`{"experiment_id": "0"}`))
	if err != nil {
		return res, err
	}
	var run struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	err = json.NewDecoder(resp.Body).Decode(&run)
	resp.Body.Close()
	if err != nil || run.Run.Info.RunID == "" {
		return res, fmt.Errorf("creating a run: %v", err)
	}
	lua := filepath.Join(dir, "log-metric.lua")
	if err := os.WriteFile(lua, []byte(`counter = 0
request = function()
  counter = counter + 1
  local body = '{"run_id": "`+run.Run.Info.RunID+`", "key": "loss", "value": ' .. counter .. ', "timestamp": ' .. counter .. ', "step": ' .. counter .. '}'
  return wrk.format("POST", "/api/2.0/mlflow/runs/log-metric", {["Content-Type"] = "application/json"}, body)
end
`), 0o644); err != nil {
		return res, err
	}
	var pids []int
	for _, r := range c.Replicas {
		pids = append(pids, r.PID())
	}
	berth0, ha0 := cpu(pids...), cpu(c.HAProxyPID())
	commits0, ins0, err := pgStats(pg)
	if err != nil {
		return res, err
	}
	wrk, err := exec.Command("wrk", "-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(dur.Seconds())), "-s", lua, c.URL).CombinedOutput()
	if err != nil {
		return res, fmt.Errorf("wrk: %v\n%s", err, wrk)
	}
	res.berthCPU, res.haproxyCPU = cpu(pids...)-berth0, cpu(c.HAProxyPID())-ha0
	// PostgreSQL's backends publish their counts at most every second while
	// busy and after 10s when idle.
	time.Sleep(11 * time.Second)
	commits1, ins1, err := pgStats(pg)
	if err != nil {
		return res, err
	}
	res.commits, res.inserted = commits1-commits0, ins1-ins0
	if bytes.Contains(wrk, []byte("Non-2xx")) {
		return res, fmt.Errorf("some log-metric requests failed:\n%s", wrk)
	}
	if m := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(wrk); m != nil {
		res.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	if m := regexp.MustCompile(`(\d+) requests in`).FindSubmatch(wrk); m != nil {
		res.requests, _ = strconv.ParseInt(string(m[1]), 10, 64)
	}
	if m := regexp.MustCompile(`Latency\s+(\S+)`).FindSubmatch(wrk); m != nil {
		res.latency = string(m[1])
	}
	if res.requests == 0 {
		return res, fmt.Errorf("wrk reported no requests:\n%s", wrk)
	}
	st, err := c.Stats(ctx)
	if err != nil {
		return res, err
	}
	var spread []string
	for _, r := range c.Replicas {
		spread = append(spread, fmt.Sprintf("%s %d", r.Name, st[r.Name].Requests))
	}
	fmt.Printf("%d replica(s): %.0f req/s, HAProxy's requests per replica: %s\n", n, res.rps, strings.Join(spread, ", "))
	return res, nil
}

// cpu is the CPU-seconds (user+system) the processes used so far.
func cpu(pids ...int) float64 { return proccpu.Sum(pids...).Seconds() }

// pgStats reads the database's committed transactions and inserted rows.
func pgStats(uri string) (commits, inserted int64, err error) {
	out, err := exec.Command("psql", uri, "-Atc",
		"SELECT pg_stat_clear_snapshot(); SELECT xact_commit, tup_inserted FROM pg_stat_database WHERE datname = current_database()").Output()
	if err != nil {
		return 0, 0, fmt.Errorf("psql: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	f := strings.Split(lines[len(lines)-1], "|")
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("psql answered %q", out)
	}
	commits, _ = strconv.ParseInt(f[0], 10, 64)
	inserted, _ = strconv.ParseInt(f[1], 10, 64)
	return commits, inserted, nil
}
