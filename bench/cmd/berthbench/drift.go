package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/bench/proccpu"
)

// The budget for live drift monitoring: it costs at most 5% of
// serving throughput, so berth with it on keeps at least 95% of berth with
// it off.
const driftBudget = 0.95

const (
	driftOnTarget  = "berth /invocations, drift on"
	driftOffTarget = "berth /invocations, drift off"
	driftOnURL     = "http://127.0.0.1:18905"
	driftOffURL    = "http://127.0.0.1:18906"
)

// driftPair is berth serving the same model directory, with a reference
// profile, twice: with drift monitoring on and with --drift=false, every
// other flag the same.
type driftPair struct {
	on, off *server
	dir     string // the temporary copy of the model
}

func (p *driftPair) stop() {
	if p.on != nil {
		p.on.stop()
	}
	if p.off != nil {
		p.off.stop()
	}
	os.RemoveAll(p.dir)
}

// targets are the pair's HTTP targets, next to each other so that
// loadgen.Interleave measures them one right after the other.
func (p *driftPair) targets() []target {
	return []target{
		{driftOffTarget, driftOffURL + "/invocations", splitBody},
		{driftOnTarget, driftOnURL + "/invocations", splitBody},
	}
}

// startDriftPair copies c.model to a temporary directory, profiles
// c.driftData into its drift reference (berth drift profile) and starts the
// two servers on it, closing a drift window every c.driftRows rows.
func startDriftPair(ctx context.Context, c config) (*driftPair, error) {
	tmp, err := os.MkdirTemp("", "berthbench-drift-")
	if err != nil {
		return nil, err
	}
	p := &driftPair{dir: tmp}
	model := filepath.Join(tmp, filepath.Base(c.model))
	if err := os.CopyFS(model, os.DirFS(c.model)); err != nil {
		p.stop()
		return nil, fmt.Errorf("copying the model: %w", err)
	}
	prof := exec.CommandContext(ctx, c.berth, "drift", "profile", model, "--data", c.driftData)
	if out, err := prof.CombinedOutput(); err != nil {
		p.stop()
		return nil, fmt.Errorf("profiling %s: %w: %s", c.driftData, err, out)
	}
	serve := func(port string, drift bool) (*server, error) {
		argv := []string{c.berth, "serve", "iris=" + model, "--port", port, "--ort-lib", c.ortLib,
			"--drift=" + strconv.FormatBool(drift), "--drift-window-rows", strconv.Itoa(c.driftRows)}
		return startServer(ctx, argv, "http://127.0.0.1:"+port+"/v2/health/ready")
	}
	if p.on, err = serve("18905", true); err != nil {
		p.stop()
		return nil, fmt.Errorf("starting berth with drift on: %w", err)
	}
	if p.off, err = serve("18906", false); err != nil {
		p.stop()
		return nil, fmt.Errorf("starting berth with drift off: %w", err)
	}
	return p, nil
}

// windowsClosed sums berth_drift_windows_total in the exposition at
// base/metrics: 0 when the server monitors nothing.
func windowsClosed(ctx context.Context, base string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading %s/metrics: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("reading %s/metrics: status %d", base, resp.StatusCode)
	}
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "berth_drift_windows_total{") && !strings.HasPrefix(line, "berth_drift_windows_total ") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("reading %s/metrics: %q: %w", base, line, err)
		}
		sum += v
	}
	return sum, sc.Err()
}

// driftResult is what measureDrift found.
type driftResult struct {
	costs   []driftCost
	windows float64 // drift windows the drift-on server closed under load
}

// driftCost is the drift on / drift off comparison at one concurrency.
type driftCost struct {
	conc    int
	on, off row
	ratios  []float64 // drift on's req/s over drift off's, turn by turn
	median  float64
	// Server CPU time (user + system) per request, which the other
	// processes on a shared machine disturb far less than throughput; 0
	// when it could not be read.
	onCPU, offCPU time.Duration
}

func (d driftCost) pass() bool { return d.median >= driftBudget }

// measureDrift loads the drift pair at each of c.driftConc, the two servers
// in alternate turns (off on, on off, …), and checks that the drift-on
// server really monitored: it fails when no window closed.
func measureDrift(ctx context.Context, c config) (*driftResult, error) {
	p, err := startDriftPair(ctx, c)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	before, err := p.windows(ctx)
	if err != nil {
		return nil, err
	}
	res := &driftResult{}
	for _, n := range c.driftConc {
		fmt.Fprintf(os.Stderr, "berthbench: drift on and off in %d turns, concurrency %d\n", c.driftTurns, n)
		onCPU, offCPU := cpuTime(p.on), cpuTime(p.off)
		rs, err := loadInTurns(ctx, p.targets(), n, c.driftTurns, c.driftDuration)
		if err != nil {
			return nil, err
		}
		d := compare(n, rs[1], rs[0])
		d.onCPU = perCall(cpuTime(p.on)-onCPU, d.on.calls)
		d.offCPU = perCall(cpuTime(p.off)-offCPU, d.off.calls)
		res.costs = append(res.costs, d)
	}
	after, err := p.windows(ctx)
	if err != nil {
		return nil, err
	}
	if res.windows = after - before; res.windows == 0 {
		return nil, errors.New("berth with drift on closed no drift window under load: it did not monitor")
	}
	return res, nil
}

// windows is windowsClosed for the drift-on server, after checking that
// the drift-off server closes none.
func (p *driftPair) windows(ctx context.Context) (float64, error) {
	switch n, err := windowsClosed(ctx, driftOffURL); {
	case err != nil:
		return 0, err
	case n != 0:
		return 0, fmt.Errorf("berth with --drift=false closed %.0f drift windows", n)
	}
	return windowsClosed(ctx, driftOnURL)
}

// cpuTime is the user and system CPU time s's process has used; 0 where
// that cannot be read.
func cpuTime(s *server) time.Duration { return proccpu.Sum(s.cmd.Process.Pid) }

func perCall(cpu time.Duration, calls int) time.Duration {
	if cpu <= 0 || calls == 0 {
		return 0
	}
	return cpu / time.Duration(calls)
}

// compare works out drift on's throughput over drift off's, turn by turn.
func compare(conc int, on, off row) driftCost {
	d := driftCost{conc: conc, on: on, off: off}
	for i := range min(len(on.turns), len(off.turns)) {
		if off.turns[i].RPS > 0 {
			d.ratios = append(d.ratios, on.turns[i].RPS/off.turns[i].RPS)
		}
	}
	d.median = median(d.ratios)
	return d
}

func us(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// printDrift writes the drift on / drift off table and the verdict against
// the budget.
func printDrift(w io.Writer, r *driftResult, c config) {
	fmt.Fprintf(w, "\nlive drift monitoring: berth /invocations on a copy of the model with a drift reference (profiled from %s), "+
		"drift on (windows of %d rows) vs --drift=false, %s each per concurrency in %d alternate turns:\n\n",
		c.driftData, c.driftRows, c.driftDuration, c.driftTurns)
	fmt.Fprintln(w, "| concurrency | req/s off | req/s on | p99 off | p99 on | server CPU/req off | server CPU/req on | on / off, per turn | median on / off | ≥ 0.95 |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---|---:|---|")
	all := len(r.costs) > 0
	for _, d := range r.costs {
		turns := make([]string, len(d.ratios))
		for i, x := range d.ratios {
			turns[i] = fmt.Sprintf("%.2f", x)
		}
		verdict := "PASS"
		if !d.pass() {
			verdict, all = "MISS", false
		}
		fmt.Fprintf(w, "| %d | %.0f | %.0f | %s | %s | %s | %s | %s | %.3f | %s |\n", d.conc, d.off.rps, d.on.rps,
			ms(d.off.p99), ms(d.on.p99), us(d.offCPU), us(d.onCPU), strings.Join(turns, " "), d.median, verdict)
	}
	verdict := "PASS"
	if !all {
		verdict = "MISS"
	}
	fmt.Fprintf(w, "\ndrift windows closed by the drift-on server under load: %.0f. "+
		"Drift monitoring costs at most 5%% of throughput (median on / off ≥ %.2f at every concurrency): %s\n", r.windows, driftBudget, verdict)
}
