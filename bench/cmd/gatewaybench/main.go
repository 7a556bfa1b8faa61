// Command gatewaybench measures what berth's LLM gateway adds to a call:
//
//   - latency: the same OpenAI chat request sent straight to an upstream
//     that answers in a fixed 20 ms, and through the gateway to it, at
//     c=64, measured in interleaved turns (loadgen.Interleave) so that the
//     two share the machine's drift; it reports both p50/p99 and their
//     difference, and the gateway's own overhead as its
//     x-berth-gateway-overhead-ms header reports it;
//   - throughput: requests per second through the gateway against an
//     instant upstream, with gateway keys (a key with per-minute limits,
//     checked on every call) and an MLflow endpoint limit on, beside the
//     same without them.
//
// Everything runs in this one process on loopback (upstream, gateway,
// clients), so the figures are for a machine that also runs the load: a
// conservative setting for the gateway. Results go to stdout as a
// Markdown table.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/berthml/berth/bench/loadgen"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/gatewaytest"
	"github.com/berthml/berth/gateway/keys"
	_ "github.com/berthml/berth/gateway/provider/builtin"
)

func main() {
	conc := flag.Int("c", 64, "concurrent clients")
	slice := flag.Duration("slice", 2*time.Second, "one turn of one function")
	rounds := flag.Int("rounds", 3, "turns of each function")
	delay := flag.Duration("upstream-delay", 20*time.Millisecond, "the upstream's fixed latency for the latency measurement")
	flag.Parse()
	if err := run(*conc, *rounds, *slice, *delay); err != nil {
		fmt.Fprintln(os.Stderr, "gatewaybench:", err)
		os.Exit(1)
	}
}

const chatBody = `{"model":"chat","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there, how are you today?"}],"max_tokens":32}`

func client(conc int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = conc*2, conc*2
	return &http.Client{Transport: t}
}

// caller posts chatBody to url and records the overhead header.
type caller struct {
	c         *http.Client
	url, body string
	mu        sync.Mutex
	overheads []float64
}

func (k *caller) call(header string) func(int, int) error {
	return func(int, int) error {
		req, _ := http.NewRequest(http.MethodPost, k.url, bytes.NewReader([]byte(k.body)))
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		resp, err := k.c.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %d", k.url, resp.StatusCode)
		}
		if h := resp.Header.Get("x-berth-gateway-overhead-ms"); h != "" {
			if v, err := strconv.ParseFloat(h, 64); err == nil {
				k.mu.Lock()
				k.overheads = append(k.overheads, v)
				k.mu.Unlock()
			}
		}
		return nil
	}
}

func pct(v []float64, p int) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(len(s)*p/100, len(s)-1)]
}

func newGateway(upstream string, limit bool, guard gateway.Guard) (*httptest.Server, error) {
	y := "endpoints:\n  - name: chat\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      name: gpt-4o-mini\n      config: {openai_api_key: sk-bench, openai_api_base: '" + upstream + "/v1'}\n"
	if limit {
		y += "    limit: {calls: 1000000000, renewal_period: minute}\n"
	}
	cfg, err := config.Parse([]byte(y), "bench.yaml")
	if err != nil {
		return nil, err
	}
	opts := []gateway.Option{}
	if guard != nil {
		opts = append(opts, gateway.WithGuard(guard))
	}
	g, err := gateway.New(cfg, opts...)
	if err != nil {
		return nil, err
	}
	return httptest.NewServer(g.Handler()), nil
}

func run(conc, rounds int, slice, delay time.Duration) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fmt.Printf("gatewaybench: c=%d, %d rounds of %v per function, GOMAXPROCS=%s\n\n", conc, rounds, slice, os.Getenv("GOMAXPROCS"))

	// Added latency against a 20 ms upstream.
	slow := httptest.NewServer(&gatewaytest.Echo{Delay: delay})
	defer slow.Close()
	gw, err := newGateway(slow.URL, false, nil)
	if err != nil {
		return err
	}
	defer gw.Close()
	c := client(conc)
	direct := &caller{c: c, url: slow.URL + "/v1/chat/completions", body: `{"model":"gpt-4o-mini"` + chatBody[len(`{"model":"chat"`):]}
	via := &caller{c: c, url: gw.URL + "/v1/chat/completions", body: chatBody}
	res := loadgen.Interleave(conc, rounds, slice, []func(int, int) error{direct.call(""), via.call("")})
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	fmt.Printf("## Added latency, upstream answering in %v, c=%d\n\n", delay, conc)
	fmt.Println("| path | calls | req/s | p50 | p99 |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for i, name := range []string{"client → upstream (direct)", "client → berth gateway → upstream"} {
		fmt.Printf("| %s | %d | %.0f | %.2f ms | %.2f ms |\n", name, res[i].Calls, res[i].RPS, ms(res[i].P50), ms(res[i].P99))
	}
	fmt.Printf("| **added (gateway − direct)** | | | **%.2f ms** | **%.2f ms** |\n", ms(res[1].P50-res[0].P50), ms(res[1].P99-res[0].P99))
	fmt.Printf("| gateway's own overhead (x-berth-gateway-overhead-ms) | %d | | %.3f ms | %.3f ms |\n\n", len(via.overheads), pct(via.overheads, 50), pct(via.overheads, 99))

	// Throughput against an instant upstream.
	instant := httptest.NewServer(&gatewaytest.Echo{})
	defer instant.Close()
	plain, err := newGateway(instant.URL, false, nil)
	if err != nil {
		return err
	}
	defer plain.Close()
	guard, secret, stop, err := keyGuard(ctx)
	if err != nil {
		return err
	}
	defer stop()
	guarded, err := newGateway(instant.URL, true, guard)
	if err != nil {
		return err
	}
	defer guarded.Close()
	d := &caller{c: c, url: instant.URL + "/v1/chat/completions", body: direct.body}
	p := &caller{c: c, url: plain.URL + "/v1/chat/completions", body: chatBody}
	k := &caller{c: c, url: guarded.URL + "/v1/chat/completions", body: chatBody}
	res = loadgen.Interleave(conc, rounds, slice, []func(int, int) error{d.call(""), p.call(""), k.call("Bearer " + secret)})
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	fmt.Printf("## Throughput, instant upstream, c=%d\n\n", conc)
	fmt.Println("| path | calls | req/s | p50 | p99 | req/s per turn |")
	fmt.Println("|---|---:|---:|---:|---:|---|")
	for i, name := range []string{"direct to the upstream", "berth gateway", "berth gateway, gateway key + limits + endpoint limit"} {
		var turns []string
		for _, t := range res[i].Turns {
			turns = append(turns, fmt.Sprintf("%.0f", t.RPS))
		}
		fmt.Printf("| %s | %d | %.0f | %.2f ms | %.2f ms | %v |\n", name, res[i].Calls, res[i].RPS, ms(res[i].P50), ms(res[i].P99), turns)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// keyGuard is package keys' guard over a fresh SQLite database with one
// key limited to a billion requests and tokens per minute: every call
// looks the key up and counts against its limits, none is refused.
func keyGuard(ctx context.Context) (gateway.Guard, string, func(), error) {
	dir, err := os.MkdirTemp("", "gatewaybench-")
	if err != nil {
		return nil, "", nil, err
	}
	store, err := keys.Open(ctx, "sqlite:///"+filepath.Join(dir, "keys.db"))
	if err != nil {
		return nil, "", nil, err
	}
	secret, _, err := store.Create(ctx, keys.Spec{Name: "bench", Limits: keys.Limits{RequestsPerMinute: 1e9, TokensPerMinute: 1e9}})
	if err != nil {
		return nil, "", nil, err
	}
	g, err := keys.NewGuard(ctx, store)
	if err != nil {
		return nil, "", nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); g.Run(rctx) }()
	return keyAdapter{g}, secret, func() { cancel(); <-done; store.Close(); os.RemoveAll(dir) }, nil
}

// keyAdapter is keys.Guard as the gateway's Guard (as cmd/berth's
// options.KeyGuard does).
type keyAdapter struct{ g *keys.Guard }

func (k keyAdapter) Admit(ctx context.Context, r *http.Request, endpoint string) (gateway.Ticket, error) {
	t, err := k.g.Admit(ctx, r, endpoint)
	if err != nil {
		var e *keys.Error
		if errors.As(err, &e) {
			return nil, &gateway.Denied{Reason: gateway.DenyRateLimited, Message: e.Message, RetryAfter: e.RetryAfter}
		}
		return nil, err
	}
	return ticket{t}, nil
}

type ticket struct{ t *keys.Ticket }

func (t ticket) Done(u gateway.Usage) { t.t.Done(u.Model, int64(u.InputTokens), int64(u.OutputTokens)) }
