package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/gatewaytest"
)

// TestThousandStreams holds 1,000 streams open through the gateway at
// once (real sockets: client → gateway → a slowly streaming upstream),
// then cancels a quarter of them from the client side and lets the rest
// finish. Every finished stream has all its chunks and [DONE]; every
// cancelled one ends its upstream call; afterwards the goroutines are
// back to the baseline. The heap held per open stream is logged and
// bounded loosely here (client, gateway and upstream share this process);
// the gateway's own RSS for 1,000 streams is bench/cmd/gatewaysoak's.
func TestThousandStreams(t *testing.T) {
	const streams, chunks = 1000, 5
	gate := make(chan struct{})
	drip := &gatewaytest.Drip{Chunks: chunks, Interval: 10 * time.Millisecond, Gate: gate}
	up := httptest.NewServer(drip)
	defer up.Close()
	cfg, err := config.Parse([]byte("endpoints:\n  - name: chat\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      name: m\n      config: {openai_api_key: k, openai_api_base: '"+up.URL+"/v1'}\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	upstreamTransport := gateway.DefaultTransport()
	g, err := gateway.New(cfg, gateway.WithLogger(slog.New(slog.DiscardHandler)), gateway.WithTransport(upstreamTransport))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()
	clientTransport := &http.Transport{MaxIdleConnsPerHost: streams, MaxIdleConns: streams}
	client := &http.Client{Transport: clientTransport}

	runtime.GC()
	baseline := runtime.NumGoroutine()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var (
		wg                  sync.WaitGroup
		first               atomic.Int64 // streams that got their first chunk
		complete, cancelled atomic.Int64
		failures            = make(chan string, streams)
		ctxs                = make([]context.CancelFunc, streams)
		body                = `{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}`
		started             = time.Now()
	)
	for i := range streams {
		ctx, cancel := context.WithCancel(context.Background())
		ctxs[i] = cancel
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				failures <- err.Error()
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				failures <- resp.Status
				return
			}
			sc := bufio.NewScanner(resp.Body)
			events, done := 0, false
			for sc.Scan() {
				line := sc.Text()
				if !strings.HasPrefix(line, "data: ") {
					continue
				}
				if events == 0 {
					first.Add(1)
				}
				events++
				done = line == "data: [DONE]"
			}
			switch {
			case ctx.Err() != nil:
				cancelled.Add(1)
			case !done || events != chunks+2:
				failures <- fmt.Sprintf("a stream ended after %d events (done %v), want %d ending in [DONE]", events, done, chunks+2)
			default:
				complete.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for first.Load() < streams && len(failures) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := first.Load(); n < streams {
		close(gate)
		wg.Wait()
		close(failures)
		for f := range failures {
			t.Error(f)
		}
		t.Fatalf("only %d of %d streams began within 2 minutes", n, streams)
	}
	open := drip.Open.Load()
	peakGoroutines := runtime.NumGoroutine()
	runtime.GC()
	var peak runtime.MemStats
	runtime.ReadMemStats(&peak)
	perStream := (int64(peak.HeapInuse) - int64(before.HeapInuse)) / streams
	t.Logf("%d streams open after %v: upstream holds %d, %d goroutines (baseline %d), heap in use +%d KiB per stream (client, gateway and upstream together)",
		streams, time.Since(started).Round(time.Millisecond), open, peakGoroutines, baseline, perStream>>10)
	if open != streams {
		t.Errorf("the upstream holds %d streams, want %d", open, streams)
	}
	if perStream > 200<<10 {
		t.Errorf("heap in use grew %d KiB per open stream, over the 200 KiB bound", perStream>>10)
	}

	for i := range streams / 4 { // the client goes away: its upstream call must end too
		ctxs[i]()
	}
	close(gate)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if c, x := complete.Load(), cancelled.Load(); c != streams-streams/4 || x != streams/4 {
		t.Errorf("%d streams complete and %d cancelled, want %d and %d", c, x, streams-streams/4, streams/4)
	}
	for _, c := range ctxs {
		c()
	}

	clientTransport.CloseIdleConnections()
	deadline = time.Now().Add(30 * time.Second)
	for {
		upstreamTransport.CloseIdleConnections()
		n := runtime.NumGoroutine()
		if n <= baseline+5 && drip.Open.Load() == 0 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("30 s after the streams ended: %d goroutines (baseline %d), the upstream still holds %d streams\n%s",
				n, baseline, drip.Open.Load(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
