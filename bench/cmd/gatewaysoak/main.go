// Command gatewaysoak runs berth's LLM gateway in a process of its own and
// watches its memory and goroutines under load from this one:
//
//  1. a burst: -burst streams (default 1,000) held open through the
//     gateway at once against a slowly streaming upstream; the gateway's
//     RSS, heap and goroutines with all of them open, and again once they
//     have ended (goroutines should be back to the baseline);
//  2. a soak: steady traffic for -duration (default 1 h): -rate unary chat
//     calls per second, -streams streams open at all times, a -cancel share
//     of them dropped by the client midway; every -sample (default 1 min)
//     one row of RSS, heap in use, goroutines and calls; at the end the
//     slope of RSS and heap per hour (least squares over the samples after
//     the first), which stays near 0 when nothing leaks.
//
// The upstream (gatewaytest.Drip) and the load run in this process; the
// gateway is this same binary started again with -role gateway, so its
// figures are its own. Results go to stdout as Markdown tables.
//
//	go build -o /tmp/gatewaysoak ./bench/cmd/gatewaysoak && /tmp/gatewaysoak -duration 1h
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/gatewaytest"
	_ "github.com/berthml/berth/gateway/provider/builtin"
)

func main() {
	role := flag.String("role", "load", "load (the default) or gateway (the child process this command starts)")
	upstream := flag.String("upstream", "", "with -role gateway: the upstream's base URL")
	duration := flag.Duration("duration", time.Hour, "how long the soak runs")
	sample := flag.Duration("sample", time.Minute, "time between samples")
	rate := flag.Float64("rate", 50, "unary chat calls per second during the soak")
	streams := flag.Int("streams", 20, "streams open at all times during the soak")
	cancelShare := flag.Float64("cancel", 0.2, "share of soak streams the client drops midway")
	burst := flag.Int("burst", 1000, "streams held open at once before the soak (0: none)")
	flag.Parse()
	var err error
	if *role == "gateway" {
		err = serveGateway(*upstream)
	} else {
		err = run(*duration, *sample, *rate, *streams, *cancelShare, *burst)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gatewaysoak:", err)
		os.Exit(1)
	}
}

// stats is what the gateway process reports about itself.
type stats struct {
	RSS        int64 `json:"rss"` // bytes, from /proc/self/status
	HeapInuse  int64 `json:"heap_inuse"`
	HeapAlloc  int64 `json:"heap_alloc"`
	Sys        int64 `json:"sys"`
	Goroutines int   `json:"goroutines"`
}

func selfStats() stats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s := stats{HeapInuse: int64(m.HeapInuse), HeapAlloc: int64(m.HeapAlloc), Sys: int64(m.Sys), Goroutines: runtime.NumGoroutine()}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				s.RSS = kb << 10
			}
		}
	}
	return s
}

// serveGateway is the child: a gateway over one chat endpoint, plus
// /_soak/stats; it prints its address on stdout and serves until stdin
// closes (the parent ended).
func serveGateway(upstream string) error {
	cfg, err := config.Parse([]byte("endpoints:\n  - name: chat\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      name: drip\n      config: {openai_api_key: sk-soak, openai_api_base: '"+upstream+"/v1'}\n"), "soak.yaml")
	if err != nil {
		return err
	}
	g, err := gateway.New(cfg, gateway.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/", g.Handler())
	mux.HandleFunc("GET /_soak/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			runtime.GC()
		}
		_ = json.NewEncoder(w).Encode(selfStats())
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("ADDR", ln.Addr().String())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	return (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}

// startGateway runs this binary again as the gateway.
func startGateway(upstream string) (string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self, "-role", "gateway", "-upstream", upstream)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { stdin.Close(); _ = cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if err != nil || !ok {
		stop()
		return "", nil, fmt.Errorf("the gateway process did not start: %q %v", line, err)
	}
	return "http://" + addr, stop, nil
}

type load struct {
	gw     string
	client *http.Client
	calls  atomic.Int64 // unary calls answered 200
	done   atomic.Int64 // streams ended with [DONE]
	cut    atomic.Int64 // streams the client dropped
	errs   atomic.Int64
	lastMu sync.Mutex
	last   string
}

func (l *load) fail(err string) {
	l.errs.Add(1)
	l.lastMu.Lock()
	l.last = err
	l.lastMu.Unlock()
}

func (l *load) stats(gc bool) (stats, error) {
	u := l.gw + "/_soak/stats"
	if gc {
		u += "?gc=1"
	}
	resp, err := l.client.Get(u)
	if err != nil {
		return stats{}, err
	}
	defer resp.Body.Close()
	var s stats
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

const chatBody = `{"model":"chat","messages":[{"role":"user","content":"hello there"}]`

func (l *load) unary(ctx context.Context) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.gw+"/v1/chat/completions", strings.NewReader(chatBody+"}"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			l.fail(err.Error())
		}
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		l.fail("unary: " + resp.Status)
		return
	}
	l.calls.Add(1)
}

// stream reads one stream; cutAfter > 0 drops it after that many events.
// first is called at the first event.
func (l *load) stream(ctx context.Context, cutAfter int, first func()) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.gw+"/v1/chat/completions", strings.NewReader(chatBody+`,"stream":true}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			l.fail(err.Error())
		}
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		l.fail("stream: " + resp.Status)
		return
	}
	sc := bufio.NewScanner(resp.Body)
	events := 0
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		events++
		if events == 1 && first != nil {
			first()
		}
		if line == "data: [DONE]" {
			l.done.Add(1)
			return
		}
		if cutAfter > 0 && events >= cutAfter {
			cancel()
			l.cut.Add(1)
			return
		}
	}
	if ctx.Err() == nil {
		l.fail(fmt.Sprintf("a stream ended after %d events without [DONE]: %v", events, sc.Err()))
	}
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func run(duration, every time.Duration, rate float64, streams int, cancelShare float64, burst int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	gate := make(chan struct{})
	drip := &gatewaytest.Drip{Chunks: 20, Interval: 50 * time.Millisecond, Gate: gate}
	up := httptest.NewServer(drip)
	defer up.Close()
	gw, stopGW, err := startGateway(up.URL)
	if err != nil {
		return err
	}
	defer stopGW()
	tr := &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: 30 * time.Second}
	l := &load{gw: gw, client: &http.Client{Transport: tr}}
	fmt.Printf("gatewaysoak: GOMAXPROCS %d, gateway at %s (its own process), burst %d, then %v at %.0f unary/s + %d streams (%.0f%% dropped midway), samples every %v\n\n",
		runtime.GOMAXPROCS(0), gw, burst, duration, rate, streams, cancelShare*100, every)
	base, err := l.stats(true)
	if err != nil {
		return err
	}

	// 1. The burst.
	if burst > 0 {
		var wg sync.WaitGroup
		var first atomic.Int64
		start := time.Now()
		for range burst {
			wg.Add(1)
			go func() { defer wg.Done(); l.stream(ctx, 0, func() { first.Add(1) }) }()
		}
		for first.Load() < int64(burst) && l.errs.Load() == 0 && time.Since(start) < 2*time.Minute {
			time.Sleep(20 * time.Millisecond)
		}
		held, err := l.stats(false)
		if err != nil {
			return err
		}
		heldGC, err := l.stats(true)
		if err != nil {
			return err
		}
		opened := first.Load()
		close(gate)
		wg.Wait()
		tr.CloseIdleConnections()
		time.Sleep(3 * time.Second) // the gateway's idle upstream connections stay pooled (up to 256)
		after, err := l.stats(true)
		if err != nil {
			return err
		}
		fmt.Printf("## %d streams open at once through the gateway (%d opened in %v; errors %d)\n\n", burst, opened, time.Since(start).Round(time.Millisecond), l.errs.Load())
		fmt.Println("| gateway process | RSS | heap in use | goroutines |")
		fmt.Println("|---|---:|---:|---:|")
		fmt.Printf("| before | %.1f MB | %.1f MB | %d |\n", mb(base.RSS), mb(base.HeapInuse), base.Goroutines)
		fmt.Printf("| %d streams open | **%.1f MB** | %.1f MB (%.1f after GC) | %d |\n", burst, mb(held.RSS), mb(held.HeapInuse), mb(heldGC.HeapInuse), held.Goroutines)
		fmt.Printf("| after they ended | %.1f MB | %.1f MB | %d |\n\n", mb(after.RSS), mb(after.HeapInuse), after.Goroutines)
		if opened < int64(burst) {
			return fmt.Errorf("only %d of %d streams opened (last error: %s)", opened, burst, l.last)
		}
	} else {
		close(gate)
	}

	// 2. The soak (its counts start at 0).
	l.calls.Store(0)
	l.done.Store(0)
	l.cut.Store(0)
	sctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var wg sync.WaitGroup
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for sctx.Err() == nil {
				cut := 0
				if rng.Float64() < cancelShare {
					cut = 2 + rng.IntN(15)
				}
				l.stream(sctx, cut, nil)
			}
		}()
	}
	if rate > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(time.Duration(float64(time.Second) / rate))
			defer t.Stop()
			sem := make(chan struct{}, 256)
			for {
				select {
				case <-sctx.Done():
					return
				case <-t.C:
				}
				select {
				case sem <- struct{}{}:
					go func() { defer func() { <-sem }(); l.unary(sctx) }()
				default:
					l.fail("unary: 256 calls already in flight")
				}
			}
		}()
	}
	type row struct {
		at                time.Duration
		s                 stats
		calls, done, cuts int64
		errs              int64
	}
	var rows []row
	start := time.Now()
	fmt.Println("## Soak")
	fmt.Println()
	fmt.Println("| elapsed | RSS | heap in use (after GC) | goroutines | unary calls | streams done | streams dropped | errors |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|")
	tick := time.NewTicker(every)
	defer tick.Stop()
	for loop := true; loop; {
		select {
		case <-sctx.Done():
			loop = false
			wg.Wait() // the last row is taken once the traffic has stopped
		case <-tick.C:
		}
		s, err := l.stats(true)
		if err != nil {
			return err
		}
		r := row{at: time.Since(start), s: s, calls: l.calls.Load(), done: l.done.Load(), cuts: l.cut.Load(), errs: l.errs.Load()}
		rows = append(rows, r)
		fmt.Printf("| %v | %.1f MB | %.1f MB | %d | %d | %d | %d | %d |\n", r.at.Round(time.Second), mb(s.RSS), mb(s.HeapInuse), s.Goroutines, r.calls, r.done, r.cuts, r.errs)
	}
	fmt.Println()
	if len(rows) >= 4 {
		pts := rows[1 : len(rows)-1] // not the first (warm-up), nor the last (after the traffic)
		var xs, rss, heap, gor []float64
		for _, r := range pts {
			xs = append(xs, r.at.Hours())
			rss = append(rss, mb(r.s.RSS))
			heap = append(heap, mb(r.s.HeapInuse))
			gor = append(gor, float64(r.s.Goroutines))
		}
		fmt.Printf("Slope over the %d samples under traffic after the first (least squares): RSS %+.2f MB/h, heap in use %+.2f MB/h, goroutines %+.1f /h.\n",
			len(pts), slope(xs, rss), slope(xs, heap), slope(xs, gor))
	}
	if l.errs.Load() > 0 {
		fmt.Printf("Errors: %d, the last: %s\n", l.errs.Load(), l.last)
	}
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	return nil
}

func slope(x, y []float64) float64 {
	n := float64(len(x))
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}
