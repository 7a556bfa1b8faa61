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
// By default the upstreams and the gateways each run in a process of
// their own (this binary started again with -role upstream / -role
// gateway), apart from the load generator's, so that the clients' GC and
// scheduling are not the gateway's; -inprocess runs everything in this one
// process on loopback as before. All of it shares the machine's cores.
//
// -pin keeps the load off the gateway's core: the load generator and the
// upstreams run in this process on CPU 0 (under taskset, GOMAXPROCS=1),
// each gateway in a process of its own on CPU 1 (GOMAXPROCS=1), and the
// direct path is measured in the same interleaved turns on that same CPU 0
// — the layout of benchmarks that put load and gateway on separate
// machines. It needs taskset (util-linux) and two CPUs.
//
// Results go to stdout as a Markdown table.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/berthml/berth/bench/loadgen"
	"github.com/berthml/berth/bench/proccpu"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/gctune"
	"github.com/berthml/berth/gateway/keys"
	_ "github.com/berthml/berth/gateway/provider/builtin"
)

func main() {
	conc := flag.Int("c", 64, "concurrent clients")
	slice := flag.Duration("slice", 2*time.Second, "one turn of one function")
	rounds := flag.Int("rounds", 3, "turns of each function")
	delay := flag.Duration("upstream-delay", 20*time.Millisecond, "the upstream's fixed latency for the latency measurement")
	stagger := flag.Bool("stagger", true, "start each latency turn's clients spread over -upstream-delay (loadgen.Stagger); false starts them together, so that every call of the turn arrives in one burst of -c")
	inProcess := flag.Bool("inprocess", false, "run the upstreams and gateways in this process (default: each in its own)")
	pin := flag.Bool("pin", false, "load generator and upstreams in this process on CPU 0, each gateway in its own process on CPU 1 (needs taskset)")
	role := flag.String("role", "", "internal: upstream or gateway, the child processes this command starts")
	upstream := flag.String("upstream", "", "internal: with -role gateway, the upstream's URL")
	guarded := flag.Bool("guarded", false, "internal: with -role gateway, gateway keys and an endpoint limit on")
	gcPercent := flag.Int("gc-percent", 400, "the gateway processes' GC pacing, as berth gateway's --gc-percent (100: Go's default); with -inprocess, this process's")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the gateway under the latency turns (20 ms upstream) to this file (in process with -inprocess, else the gateway child's)")
	compare := flag.String("compare", "", "another build of this command (say, of the previous commit): its gateways join the latency and throughput turns, for before/after figures from one run (as processes of their own, also with -inprocess)")
	flag.Parse()
	var err error
	switch *role {
	case "":
		if *pin && *inProcess {
			err = errors.New("-pin and -inprocess exclude each other")
			break
		}
		if *pin && os.Getenv(pinnedEnv) == "" {
			err = repin() // start again on CPU 0; does not return on success
			break
		}
		layout := layoutProcesses
		switch {
		case *inProcess:
			layout = layoutInProcess
		case *pin:
			layout = layoutPinned
		}
		if layout == layoutInProcess {
			go gctune.Run(context.Background(), *gcPercent, 64<<20, time.Second)
		}
		err = run(*conc, *rounds, *slice, *delay, *stagger, layout, *compare, *profile, *gcPercent)
	case "upstream":
		err = childUpstream(*delay)
	case "gateway":
		go gctune.Run(context.Background(), *gcPercent, 64<<20, time.Second)
		err = childGateway(*upstream, *guarded, *profile)
	default:
		err = fmt.Errorf("unknown -role %q", *role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gatewaybench:", err)
		os.Exit(1)
	}
}

// chatBody is the request the bench sends through a gateway; directBody
// is the same sent straight to the upstream, with the model the gateway's
// endpoint names there.
const (
	chatMessages = `"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there, how are you today?"}],"max_tokens":32}`
	chatBody     = `{"model":"chat",` + chatMessages
	directBody   = `{"model":"gpt-4o-mini",` + chatMessages
)

// clients keeps the bench's clients, to close them at the end.
type clients []*client

func (cs *clients) add(conc int, base, body, authorization string) (*client, error) {
	k, err := newClient(conc, base+chatPath, body, authorization)
	if err != nil {
		return nil, err
	}
	*cs = append(*cs, k)
	return k, nil
}

func (cs clients) close() {
	for _, k := range cs {
		k.close()
	}
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(int(float64(len(s))*p/100), len(s)-1)]
}

func gatewayYAML(upstream string, limit bool) string {
	y := "endpoints:\n  - name: chat\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      name: gpt-4o-mini\n      config: {openai_api_key: sk-bench, openai_api_base: '" + upstream + "/v1'}\n"
	if limit {
		y += "    limit: {calls: 1000000000, renewal_period: minute}\n"
	}
	return y
}

// newGateway makes the bench's gateway over upstream: its one chat
// endpoint, with an MLflow endpoint limit when limit, and guard (gateway
// keys) when not nil.
func newGateway(upstream string, limit bool, guard gateway.Guard) (*gateway.Gateway, error) {
	cfg, err := config.Parse([]byte(gatewayYAML(upstream, limit)), "bench.yaml")
	if err != nil {
		return nil, err
	}
	var opts []gateway.Option
	if guard != nil {
		opts = append(opts, gateway.WithGuard(guard))
	}
	return gateway.New(cfg, opts...)
}

// warm runs each function for a short untimed turn, so that connections
// are dialled and pools filled before anything is measured.
func warm(conc int, slice time.Duration, fs []func(int, int) error) error {
	for _, f := range fs {
		if r := loadgen.Measure(conc, slice/4, f); r.Err != nil {
			return r.Err
		}
	}
	return nil
}

func run(conc, rounds int, slice, delay time.Duration, stagger bool, where layout, compare, profile string, gcPercent int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fmt.Printf("gatewaybench: c=%d, %d rounds of %v per function, GOMAXPROCS=%d, %s\n\n", conc, rounds, slice, runtime.GOMAXPROCS(0), where)
	sv := &servers{layout: where, ctx: ctx, gcPercent: gcPercent}
	defer sv.close()

	// Added latency against a 20 ms upstream.
	slowURL, err := sv.upstream(delay)
	if err != nil {
		return err
	}
	childProfile := ""
	if where != layoutInProcess {
		childProfile = profile
	}
	gwURL, _, gwPID, err := sv.gateway(slowURL, false, childProfile)
	if err != nil {
		return err
	}
	var cs clients
	defer cs.close()
	direct, err := cs.add(conc, slowURL, directBody, "")
	if err != nil {
		return err
	}
	via, err := cs.add(conc, gwURL, chatBody, "")
	if err != nil {
		return err
	}
	fs := []func(int, int) error{direct.call, via.call}
	names := []string{"client → upstream (direct)", "client → berth gateway → upstream"}
	pids := []int{0, gwPID} // each function's gateway process, for its CPU per call
	var other *client
	if compare != "" {
		url, _, pid, stop, err := spawn(compare, where == layoutPinned, "-role", "gateway", "-upstream", slowURL)
		if err != nil {
			return err
		}
		defer stop()
		pids = append(pids, pid)
		if other, err = cs.add(conc, url, chatBody, ""); err != nil {
			return err
		}
		fs = append(fs, other.call)
		names = append(names, "client → berth gateway ("+compare+") → upstream")
	}
	if err := warm(conc, slice, fs); err != nil {
		return err
	}
	via.overheads()
	if other != nil {
		other.overheads()
	}
	stopProfile := func() {}
	if profile != "" && where == layoutInProcess {
		if stopProfile, err = startProfile(profile); err != nil {
			return err
		}
	}
	cpu0 := cpuOf(pids)
	var opts []loadgen.Option
	if stagger {
		opts = append(opts, loadgen.Stagger(delay))
	}
	res := loadgen.Interleave(conc, rounds, slice, fs, opts...)
	cpu := perCall(cpuOf(pids), cpu0, res)
	stopProfile()
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	fmt.Printf("## Added latency, upstream answering in %v, c=%d\n\n", delay, conc)
	fmt.Println("| path | calls | req/s | p50 | p90 | p99 | p99.9 | gateway CPU per call | p50 per turn | p99 per turn |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
	for i, name := range names {
		var p50s, p99s []string
		for _, t := range res[i].Turns {
			p50s = append(p50s, fmt.Sprintf("%.2f", ms(t.P50)))
			p99s = append(p99s, fmt.Sprintf("%.2f", ms(t.P99)))
		}
		r := res[i]
		fmt.Printf("| %s | %d | %.0f | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %s | %v | %v |\n", name, r.Calls, r.RPS, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.P999), cpu[i], p50s, p99s)
	}
	added := func(label string, r, d loadgen.Result) {
		fmt.Printf("| %s | | | %.2f ms | %.2f ms | %.2f ms | %.2f ms | | | |\n", label, ms(r.P50-d.P50), ms(r.P90-d.P90), ms(r.P99-d.P99), ms(r.P999-d.P999))
	}
	added("**added (gateway − direct)**", res[1], res[0])
	addP50, addP99 := res[1].P50-res[0].P50, res[1].P99-res[0].P99
	if other != nil {
		added("added by the -compare build", res[2], res[0])
	}
	own := via.overheads()
	fmt.Printf("| gateway's own overhead (x-berth-gateway-overhead-ms) | %d | | %.3f ms | %.3f ms | %.3f ms | %.3f ms | | | |\n", len(own), pct(own, 50), pct(own, 90), pct(own, 99), pct(own, 99.9))
	if other != nil {
		own := other.overheads()
		fmt.Printf("| the -compare build's own overhead | %d | | %.3f ms | %.3f ms | %.3f ms | %.3f ms | | | |\n", len(own), pct(own, 50), pct(own, 90), pct(own, 99), pct(own, 99.9))
	}
	fmt.Println()

	// Throughput against an instant upstream.
	instantURL, err := sv.upstream(0)
	if err != nil {
		return err
	}
	plainURL, _, plainPID, err := sv.gateway(instantURL, false, "")
	if err != nil {
		return err
	}
	guardedURL, secret, guardedPID, err := sv.gateway(instantURL, true, "")
	if err != nil {
		return err
	}
	fs = nil
	for _, c := range []struct{ url, body, auth string }{
		{instantURL, directBody, ""},
		{plainURL, chatBody, ""},
		{guardedURL, chatBody, "Bearer " + secret},
	} {
		k, err := cs.add(conc, c.url, c.body, c.auth)
		if err != nil {
			return err
		}
		fs = append(fs, k.call)
	}
	names = []string{"direct to the upstream", "berth gateway", "berth gateway, gateway key + limits + endpoint limit"}
	pids = []int{0, plainPID, guardedPID}
	if compare != "" {
		for _, guarded := range []bool{false, true} {
			args := []string{"-role", "gateway", "-upstream", instantURL}
			name := "berth gateway (" + compare + ")"
			if guarded {
				args = append(args, "-guarded")
				name += ", gateway key + limits + endpoint limit"
			}
			url, sec, pid, stop, err := spawn(compare, where == layoutPinned, args...)
			if err != nil {
				return err
			}
			defer stop()
			pids = append(pids, pid)
			auth := ""
			if guarded {
				auth = "Bearer " + sec
			}
			k, err := cs.add(conc, url, chatBody, auth)
			if err != nil {
				return err
			}
			fs = append(fs, k.call)
			names = append(names, name)
		}
	}
	if err := warm(conc, slice, fs); err != nil {
		return err
	}
	cpu0 = cpuOf(pids)
	res = loadgen.Interleave(conc, rounds, slice, fs)
	cpu = perCall(cpuOf(pids), cpu0, res)
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	fmt.Printf("## Throughput, instant upstream, c=%d\n\n", conc)
	fmt.Println("| path | calls | req/s | p50 | p99 | gateway CPU per call | req/s per turn |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---|")
	for i, name := range names {
		var turns []string
		for _, t := range res[i].Turns {
			turns = append(turns, fmt.Sprintf("%.0f", t.RPS))
		}
		fmt.Printf("| %s | %d | %.0f | %.2f ms | %.2f ms | %s | %v |\n", name, res[i].Calls, res[i].RPS, ms(res[i].P50), ms(res[i].P99), cpu[i], turns)
	}
	fmt.Printf("\nTargets (issue 18; %s):\n", where)
	fmt.Printf("- added latency at c=%d over a %v upstream, p50 ≤ 0.5 ms and p99 ≤ 2 ms: p50 %.2f ms — %s; p99 %.2f ms — %s\n",
		conc, delay, ms(addP50), verdict(addP50 <= 500*time.Microsecond), ms(addP99), verdict(addP99 <= 2*time.Millisecond))
	fmt.Printf("- ≥ 5,000 req/s through the gateway with gateway keys and limits on: %.0f req/s — %s\n", res[2].RPS, verdict(res[2].RPS >= 5000))
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "holds"
	}
	return "MISS"
}

// cpuOf reads each process's CPU time (0 where pid is 0: no process of
// its own).
func cpuOf(pids []int) []time.Duration {
	out := make([]time.Duration, len(pids))
	for i, pid := range pids {
		out[i], _ = proccpu.Of(pid)
	}
	return out
}

// perCall is each gateway process's CPU over the turns divided by its
// function's calls: a gateway process serves only its own function's
// calls, so between two readings its CPU is theirs alone. "—" where the
// function has no process of its own (direct, in process).
func perCall(after, before []time.Duration, res []loadgen.Result) []string {
	out := make([]string, len(res))
	for i := range res {
		out[i] = "—"
		if i < len(after) && after[i] > 0 && res[i].Calls > 0 {
			out[i] = fmt.Sprintf("%.0f µs", float64((after[i]-before[i]).Microseconds())/float64(res[i].Calls))
		}
	}
	return out
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
