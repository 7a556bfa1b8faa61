package servingreport_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/drift/writeback"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/browsertest"
	"github.com/berthml/berth/internal/servingusage"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/serve/servingreport"
	"github.com/berthml/berth/server"
	"github.com/berthml/berth/server/servertest"
	"github.com/berthml/berth/ui"
)

// fakeSource is one replica's counters: what it served of iris v1 (as
// "flowers") since it started.
type fakeSource struct {
	mu sync.Mutex
	u  servingusage.Usage
}

func (f *fakeSource) Serving() map[string]string { return map[string]string{"flowers": "1"} }
func (f *fakeSource) Usage() []servingusage.Usage {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.u
	u.Counts = slices.Clone(f.u.Counts)
	return []servingusage.Usage{u}
}

// serve adds n requests (clientErrs 4xx, serverErrs 5xx) of 5 ms each.
func (f *fakeSource) serve(n, clientErrs, serverErrs int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.u.Requests += n
	f.u.ClientErrors += clientErrs
	f.u.ServerErrors += serverErrs
	f.u.Count += n
	f.u.Sum += 0.005 * float64(n)
	for i, b := range f.u.Bounds {
		if b >= 0.005 {
			f.u.Counts[i] += n
		}
	}
}

// TestTenReplicasReports: ten serving replicas of iris v1 — each a
// Reporter and a Writer of its own, as in ten berth serve processes —
// report three intervals at once to one real tracking server. Each
// replica has its own monitoring run with exactly its own figures, the
// figures add up per version to what the ten served, and the web UI's
// production overview (headless Chromium) sums the ten.
func TestTenReplicasReports(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts := servertest.New(t, server.WithUI(ui.Handler()))
	c := &mlflowrest.Client{BaseURL: ts.URL}
	if _, err := modeluri.Register(ctx, c, modeluri.Registration{
		Dir: filepath.Join("..", "..", "testdata", "models", "iris_logreg"), Name: "iris"}); err != nil {
		t.Fatal(err)
	}
	const replicas, intervals = 10, 3
	start := time.Now().Add(-intervals * time.Second)
	type replica struct {
		src *fakeSource
		wr  *writeback.Writer
		rep *servingreport.Reporter
	}
	rs := make([]replica, replicas)
	for i := range rs {
		src := &fakeSource{u: servingusage.Usage{Model: "flowers", Version: "1", Bounds: []float64{0.001, 0.01, 0.1}, Counts: make([]int64, 3)}}
		wr := writeback.New(c, writeback.WithInstance(fmt.Sprintf("host-%d:8080", i)), writeback.WithLogger(slog.New(slog.NewTextHandler(tWriter{t}, nil))))
		rs[i] = replica{src, wr, servingreport.NewReporter(src, wr.EnqueueServing, map[string]string{"flowers": "iris"}, start)}
	}
	// Replica i serves 10(i+1) requests an interval, i of them 4xx, and
	// one 5xx when i is even; all ten report each interval at once.
	var wantRequests, wantClient, wantServer int64
	for i := range replicas {
		wantRequests += int64(10 * (i + 1))
		wantClient += int64(i)
		if i%2 == 0 {
			wantServer++
		}
	}
	for k := 1; k <= intervals; k++ {
		var wg sync.WaitGroup
		for i, r := range rs {
			wg.Go(func() {
				r.src.serve(int64(10*(i+1)), int64(i), int64(1-i%2))
				r.rep.Report(start.Add(time.Duration(k) * time.Second))
			})
		}
		wg.Wait()
	}
	// The ten writers write their queued reports at once, as ten servers'
	// would.
	var writing sync.WaitGroup
	for _, r := range rs {
		writing.Go(func() {
			if n := r.wr.Drain(ctx); n != 0 || r.wr.Dropped() != 0 {
				t.Errorf("a writer left %d reports unwritten, dropped %d", n, r.wr.Dropped())
			}
		})
	}
	writing.Wait()

	runs := servertest.MonitoringRuns(t, c)
	if len(runs) != replicas {
		t.Fatalf("%d monitoring runs, want one per replica (%d)", len(runs), replicas)
	}
	seen := map[string]bool{}
	sum := func(key string) []float64 {
		out := make([]float64, intervals)
		for _, r := range runs {
			for j, v := range servertest.MetricHistory(t, c, r.Info.RunID, key) {
				out[j] += v
			}
		}
		return out
	}
	for _, r := range runs {
		var inst string
		for _, tg := range r.Data.Tags {
			if tg.Key == writeback.TagInstance {
				inst = tg.Value
			}
		}
		var i int
		if _, err := fmt.Sscanf(inst, "host-%d:8080", &i); err != nil || seen[inst] {
			t.Fatalf("run %s: instance %q (%v), or seen twice", r.Info.RunID, inst, err)
		}
		seen[inst] = true
		want := float64(10 * (i + 1))
		if got := servertest.MetricHistory(t, c, r.Info.RunID, "serving.requests"); !slices.Equal(got, []float64{want, want, want}) {
			t.Errorf("%s: serving.requests %v, want %v each interval", inst, got, want)
		}
	}
	for key, want := range map[string]float64{"serving.requests": float64(wantRequests), "serving.request_rate": float64(wantRequests),
		"serving.client_errors": float64(wantClient), "serving.server_errors": float64(wantServer)} {
		if got := sum(key); !slices.Equal(got, []float64{want, want, want}) {
			t.Errorf("%s summed over the replicas: %v, want %v each interval", key, got, want)
		}
	}

	// The production overview sums the ten live replicas' latest reports.
	b := browsertest.New(t)
	p := b.Open(ts.URL + "/#/production")
	p.WaitVisible("table.production-list tbody td")
	var cells []string
	p.Eval(`[...document.querySelectorAll("table.production-list tbody td")].map((e) => e.innerText.trim())`, &cells)
	// Model version, aliases, drift, worst feature, replicas, requests/s,
	// p95 latency, errors (5xx per request).
	errs := fmt.Sprintf("%.3g %%", 100*float64(wantServer)/float64(wantRequests))
	if len(cells) < 8 || cells[0] != "iris v1" || cells[4] != "10" || cells[5] != fmt.Sprint(wantRequests) || cells[7] != errs {
		t.Errorf("production overview cells %q, want iris v1 with 10 replicas, %d requests/s, %s errors", cells, wantRequests, errs)
	}
	p.Screenshot("ten-replicas")
	p.AssertNoConsoleErrors()
}

// tWriter logs to t: a failed write-back shows in the test's log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

// flushingSource is a server whose drift monitors hold a partial period:
// FlushDriftPeriods hands it to the period listener, as serve.Server's
// does through drift.Monitor.FlushPeriod.
type flushingSource struct {
	fakeSource
	listener func(model, version string, p drift.PeriodResult)
	period   drift.PeriodResult
	flushed  int
}

func (f *flushingSource) FlushDriftPeriods() {
	f.flushed++
	f.listener("flowers", "1", f.period)
}

// TestStopUploadsPartialPeriod: a replica that stops mid-period uploads
// the counts it has, marked partial, before it finishes its run, so that
// the other replicas' merge of the period counts them.
func TestStopUploadsPartialPeriod(t *testing.T) {
	ctx := context.Background()
	ts := servertest.New(t)
	c := &mlflowrest.Client{BaseURL: ts.URL}
	if _, err := modeluri.Register(ctx, c, modeluri.Registration{
		Dir: filepath.Join("..", "..", "testdata", "models", "iris_logreg"), Name: "iris"}); err != nil {
		t.Fatal(err)
	}
	bld := drift.NewBuilder([]drift.Column{{Name: "x", Type: flavors.ColDouble}})
	if err := bld.AddFloats("x", []float64{1, 2, 3, 4, 5, 6, 7}); err != nil {
		t.Fatal(err)
	}
	ref, err := bld.Profile()
	if err != nil {
		t.Fatal(err)
	}
	start, _ := drift.PeriodOf(time.Now(), time.Minute)
	src := &flushingSource{period: drift.PeriodResult{Start: start, End: start.Add(time.Minute), Rows: 7, Counts: ref, Reference: ref,
		Thresholds: drift.DefaultThresholds(), Persistence: 2, Partial: true}}
	wb := servingreport.New(servingreport.Config{Registry: c, Registered: map[string]string{"flowers": "iris"}, Drift: true,
		DriftPeriod: time.Minute, Instance: "host-a:8080"})
	if src.listener = wb.PeriodListener(); src.listener == nil {
		t.Fatal("no period listener with DriftPeriod set")
	}
	if off := servingreport.New(servingreport.Config{Registry: c, Registered: map[string]string{"flowers": "iris"}, Drift: true}); off.PeriodListener() != nil {
		t.Error("a period listener without DriftPeriod")
	}
	wb.Start(src)()
	if src.flushed != 1 {
		t.Fatalf("FlushDriftPeriods called %d times at stop, want 1", src.flushed)
	}
	runs := servertest.MonitoringRuns(t, c)
	if len(runs) != 1 || runs[0].Info.Status != "FINISHED" {
		t.Fatalf("monitoring runs after stop: %+v", runs)
	}
	root := strings.Trim(strings.TrimPrefix(runs[0].Info.ArtifactURI, "mlflow-artifacts:"), "/")
	rc, err := c.GetArtifact(ctx, root+"/"+writeback.PeriodArtifact(start))
	if err != nil {
		t.Fatalf("the partial period was not uploaded: %v", err)
	}
	defer rc.Close()
	pf, err := writeback.ReadPeriodFile(rc)
	if err != nil || !pf.Partial || pf.Rows != 7 || pf.Instance != "host-a:8080" {
		t.Errorf("uploaded period file %+v (%v), want 7 partial rows from host-a", pf, err)
	}
}
