package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"github.com/berthml/berth/bench/loadgen"
)

// row is one cell of the table.
type row struct {
	target   string
	conc     int
	rps      float64
	calls    int
	p50, p99 time.Duration
	turns    []loadgen.Result // each turn's figures, for HTTP targets
	err      error
}

// measure runs loadgen.Measure and keeps its figures in a row.
func measure(conc int, d time.Duration, f func() error) row {
	r := loadgen.Measure(conc, d, func(int, int) error { return f() })
	return row{rps: r.RPS, p50: r.P50, p99: r.P99, err: r.Err}
}

// target is an HTTP endpoint to load.
type target struct{ name, url, body string }

// rounds is how many turns each HTTP target gets: short turns, taken in
// order, so that a shared machine whose speed drifts during the run slows
// every target alike and the ratios to the floor hold.
const rounds = 6

// loadInTurns POSTs each target's body from conc keep-alive clients, in
// turns of d/turns, d in all per target.
func loadInTurns(ctx context.Context, ts []target, conc, turns int, d time.Duration) ([]row, error) {
	fs := make([]func(int, int) error, len(ts))
	for k, t := range ts {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
		defer client.CloseIdleConnections()
		b := []byte(t.body)
		fs[k] = func(int, int) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d: %s", resp.StatusCode, out)
			}
			return nil
		}
	}
	rs := loadgen.Interleave(conc, turns, d/time.Duration(turns), fs)
	rows := make([]row, len(ts))
	for k, r := range rs {
		if r.Err != nil {
			return nil, fmt.Errorf("%s: %w", ts[k].name, r.Err)
		}
		rows[k] = row{target: ts[k].name, conc: conc, rps: r.RPS, calls: r.Calls, p50: r.P50, p99: r.P99, turns: r.Turns}
	}
	return rows, nil
}

// server is a child process serving HTTP.
type server struct {
	cmd  *exec.Cmd
	once sync.Once
}

func (s *server) stop() {
	s.once.Do(func() {
		s.cmd.Process.Signal(os.Interrupt)
		s.cmd.Wait()
	})
}

// startServer runs argv and waits until readyURL answers 200.
func startServer(ctx context.Context, argv []string, readyURL string) (*server, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd}
	if _, err := waitReady(readyURL, 10*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w: %s", err, stderr.String())
	}
	return s, nil
}

// waitReady polls url every 500µs until it answers 200.
func waitReady(url string, limit time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: time.Second}
	start := time.Now()
	for time.Since(start) < limit {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	return 0, errors.New("not ready after " + limit.String())
}

// startToReady starts berth c.starts times and returns the median time from
// exec to a 200 on /v2/health/ready (listening, models loaded and warmed).
func startToReady(ctx context.Context, c config) (time.Duration, error) {
	var ds []time.Duration
	for range c.starts {
		cmd := exec.CommandContext(ctx, c.berth, "serve", "iris="+c.model, "--port", "18903", "--ort-lib", c.ortLib)
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		_, err := waitReady("http://127.0.0.1:18903/v2/health/ready", 10*time.Second)
		d := time.Since(start)
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if err != nil {
			return 0, fmt.Errorf("start to ready: %w", err)
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}
