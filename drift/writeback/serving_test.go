package writeback_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/drift/writeback"
)

func serving(step, requests, clientErrs, serverErrs int64, p95 float64) writeback.ServingWindow {
	end := time.Date(2026, 1, 1, 0, int(step), 0, 0, time.UTC)
	lat := math.NaN()
	if requests > 0 {
		lat = p95 / 2
	}
	return writeback.ServingWindow{Step: step, Start: end.Add(-time.Minute), End: end,
		Requests: requests, ClientErrors: clientErrs, ServerErrors: serverErrs,
		LatencyMean: lat, LatencyP50: lat, LatencyP95: p95, LatencyP99: p95 * 1.5}
}

func TestServingMetrics(t *testing.T) {
	got := map[string]mlflowrest.Metric{}
	for _, m := range writeback.ServingMetrics(serving(3, 120, 6, 3, 0.004)) {
		got[m.Key] = m
	}
	want := map[string]float64{"serving.requests": 120, "serving.request_rate": 2, "serving.interval_s": 60, "serving.client_errors": 6,
		"serving.server_errors": 3, "serving.error_rate": 0.025, "serving.latency_mean_ms": 2,
		"serving.latency_p50_ms": 2, "serving.latency_p95_ms": 4, "serving.latency_p99_ms": 6}
	if len(got) != len(want) {
		t.Errorf("%d metrics, want %d: %v", len(got), len(want), got)
	}
	end := time.Date(2026, 1, 1, 0, 3, 0, 0, time.UTC).UnixMilli()
	for k, v := range want {
		m, ok := got[k]
		if !ok {
			t.Errorf("metric %s missing", k)
			continue
		}
		if math.Abs(float64(m.Value)-v) > 1e-9 || int64(m.Step) != 3 || int64(m.Timestamp) != end {
			t.Errorf("metric %s = %v at step %v, time %v; want %v at step 3, time %d", k, m.Value, m.Step, m.Timestamp, v, end)
		}
	}

	// No requests: a zero rate, but no error rate and no latencies.
	got = map[string]mlflowrest.Metric{}
	for _, m := range writeback.ServingMetrics(serving(4, 0, 0, 0, math.NaN())) {
		got[m.Key] = m
	}
	for _, k := range []string{"serving.requests", "serving.request_rate", "serving.client_errors", "serving.server_errors"} {
		if m, ok := got[k]; !ok || float64(m.Value) != 0 {
			t.Errorf("idle window: metric %s = %v (present %v), want 0", k, m.Value, ok)
		}
	}
	for _, k := range []string{"serving.error_rate", "serving.latency_mean_ms", "serving.latency_p50_ms",
		"serving.latency_p95_ms", "serving.latency_p99_ms"} {
		if _, ok := got[k]; ok {
			t.Errorf("idle window: metric %s logged", k)
		}
	}
}

func TestServing(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	wr := writeback.New(c, writeback.WithInstance("host-a:8080"))
	// The drift window and the serving reports share the monitoring run.
	if err := wr.Window(ctx, "iris", "1", window(1, drift.StatusOK, 0.02)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []writeback.ServingWindow{serving(1, 60, 2, 1, 0.003), serving(2, 0, 0, 0, math.NaN())} {
		if err := wr.Serving(ctx, "iris", "1", s); err != nil {
			t.Fatal(err)
		}
	}
	runs := monitoringRuns(t, c)
	if len(runs) != 1 {
		t.Fatalf("found %d monitoring runs, want 1", len(runs))
	}
	history := func(key string) map[int64]float64 {
		var hist mlflowrest.GetMetricHistoryResponse
		if err := c.Get(ctx, "metrics/get-history", url.Values{"run_id": {runs[0].Info.RunID},
			"metric_key": {key}}, &hist); err != nil {
			t.Fatal(err)
		}
		steps := map[int64]float64{}
		for _, m := range hist.Metrics {
			steps[int64(m.Step)] = float64(m.Value)
		}
		return steps
	}
	if h := history("serving.requests"); len(h) != 2 || h[1] != 60 || h[2] != 0 {
		t.Errorf("serving.requests by step = %v, want 1:60 2:0", h)
	}
	if h := history("serving.request_rate"); len(h) != 2 || h[1] != 1 || h[2] != 0 {
		t.Errorf("serving.request_rate by step = %v, want 1:1 2:0", h)
	}
	if h := history("serving.latency_p95_ms"); len(h) != 1 || math.Abs(h[1]-3) > 1e-9 {
		t.Errorf("serving.latency_p95_ms by step = %v, want 1:3 only", h)
	}
	if h := history("serving.client_errors"); h[1] != 2 {
		t.Errorf("serving.client_errors by step = %v, want 1:2", h)
	}
	if h := history("serving.error_rate"); len(h) != 1 || math.Abs(h[1]-1.0/60) > 1e-9 {
		t.Errorf("serving.error_rate by step = %v, want 1:1/60 only", h)
	}
	if h := history("drift.status"); len(h) != 1 {
		t.Errorf("drift.status history %v, want the one window", h)
	}

	tags := versionTags(t, c)
	for k, want := range map[string]string{writeback.TagServingLastReport: "2026-01-01T00:02:00Z",
		writeback.TagServingInstance: "host-a:8080", "berth.drift.status": "ok"} {
		if tags[k] != want {
			t.Errorf("version tag %s = %q, want %q", k, tags[k], want)
		}
	}
}

func TestServingWithoutInstance(t *testing.T) {
	c := newRegistry(t)
	if err := writeback.New(c).Serving(context.Background(), "iris", "1", serving(1, 5, 0, 0, 0.001)); err != nil {
		t.Fatal(err)
	}
	tags := versionTags(t, c)
	if _, ok := tags[writeback.TagServingInstance]; ok {
		t.Errorf("instance tag set without WithInstance: %v", tags)
	}
	if tags[writeback.TagServingLastReport] != "2026-01-01T00:01:00Z" {
		t.Errorf("last report tag = %q", tags[writeback.TagServingLastReport])
	}
}

// readArtifact reads a file of the monitoring run's artifacts.
func readArtifact(t *testing.T, c *mlflowrest.Client, run mlflowrest.Run, rel string) []byte {
	t.Helper()
	root := strings.Trim(strings.TrimPrefix(run.Info.ArtifactURI, "mlflow-artifacts:"), "/")
	rc, err := c.GetArtifact(context.Background(), root+"/"+rel)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWindowArtifact(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	wr := writeback.New(c)
	first := window(1, drift.StatusOK, 0.02)
	if err := wr.Window(ctx, "iris", "1", first); err != nil {
		t.Fatal(err)
	}
	w := window(3, drift.StatusDrift, 0.9)
	fs := w.Report.Features
	fs[0].Kind, fs[0].Labels, fs[0].Reference, fs[0].Current = drift.Numeric, []string{"(-inf, 2]", "(2, inf)"}, []int64{12, 30}, []int64{0, 10}
	fs[0].KSPValue = f(math.NaN())
	fs[1].Kind, fs[1].Chi2PValue = drift.Categorical, f(0.25)
	w.Report.Thresholds = drift.DefaultThresholds()
	if err := wr.Window(ctx, "iris", "1", w); err != nil {
		t.Fatal(err)
	}

	runs := monitoringRuns(t, c)
	if len(runs) != 1 {
		t.Fatalf("found %d monitoring runs, want 1", len(runs))
	}
	var got map[string]any
	b := readArtifact(t, c, runs[0], writeback.WindowArtifact)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v\n%s", writeback.WindowArtifact, err, b)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(`{"model":"iris","version":"1","window":3,
		"start":"2026-01-01T00:02:00Z","end":"2026-01-01T00:03:00Z","rows":300,"status":"drift",
		"verdict":"drift","consecutive":2,"persistence":2,
		"summary":"drift: 1 of 3 features after Benjamini–Hochberg at q=0.01; 0 of 1 output columns, 2 consecutive drifting windows (drift from 2)",
		"thresholds":{"psi_warning":0.1,"psi_drift":0.25,"ks_pvalue":0.01,"js_distance":0.1,"js_min_count":1000,
		 "chi2_pvalue":0.01,"wasserstein":0.1,"drift_share":0},
		"features":[
		 {"feature":"petal_length","kind":"numeric","output":false,"status":"drift","drifted":true,
		  "psi":0.9,"ks_pvalue":null,"ks_pvalue_adjusted":0.7894736842105263,"js_distance":0.225,"chi2_pvalue":null,"chi2_pvalue_adjusted":null,
		  "wasserstein":0.45,"labels":["(-inf, 2]","(2, inf)"],"reference":[12,30],"current":[0,10]},
		 {"feature":"sepal_width","kind":"categorical","output":false,"status":"ok","drifted":false,
		  "psi":0.01,"ks_pvalue":0.9,"ks_pvalue_adjusted":null,"js_distance":0.01,"chi2_pvalue":0.25,"chi2_pvalue_adjusted":null,
		  "wasserstein":null,"labels":[],"reference":[],"current":[]},
		 {"feature":"petal width (cm)","kind":"","output":false,"status":"ok","drifted":false,
		  "psi":0.03,"ks_pvalue":0.8,"ks_pvalue_adjusted":null,"js_distance":null,"chi2_pvalue":null,"chi2_pvalue_adjusted":null,
		  "wasserstein":null,"labels":[],"reference":[],"current":[]},
		 {"feature":"probabilities.2","kind":"","output":true,"status":"ok","drifted":false,
		  "psi":0.04,"ks_pvalue":0.7,"ks_pvalue_adjusted":null,"js_distance":null,"chi2_pvalue":null,"chi2_pvalue_adjusted":null,
		  "wasserstein":null,"labels":[],"reference":[],"current":[]}]}`), &want); err != nil {
		t.Fatal(err)
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("%s =\n%s\nwant\n%s", writeback.WindowArtifact, gotJSON, wantJSON)
	}
}

func TestRunWritesQueuedServing(t *testing.T) {
	c := newRegistry(t)
	wr := writeback.New(c, writeback.WithInstance("i"))
	// Queued before Run starts: both kinds are written, in order.
	if !wr.Enqueue("iris", "1", window(1, drift.StatusWarning, 0.15)) ||
		!wr.EnqueueServing("iris", "1", serving(1, 10, 0, 0, 0.002)) {
		t.Fatal("enqueue refused with room in the queue")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go wr.Run(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		tags := versionTags(t, c)
		if tags[writeback.TagServingLastReport] != "" {
			if tags["berth.drift.status"] != "warning" {
				t.Errorf("serving report written before the window queued ahead of it: %v", tags)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the queued serving report was not written")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDrain: what is queued when the server stops is written without Run;
// against an unreachable server, Drain gives up when its context ends.
func TestDrain(t *testing.T) {
	c := newRegistry(t)
	wr := writeback.New(c)
	if !wr.Enqueue("iris", "1", window(1, drift.StatusDrift, 0.9)) || !wr.EnqueueServing("iris", "1", serving(1, 10, 0, 0, 0.002)) {
		t.Fatal("enqueue refused with room in the queue")
	}
	if left := wr.Drain(context.Background()); left != 0 {
		t.Errorf("Drain left %d", left)
	}
	if tags := versionTags(t, c); tags["berth.drift.status"] != "drift" || tags[writeback.TagServingLastReport] == "" {
		t.Errorf("after Drain the version's tags are %v, want both writes", tags)
	}

	gone := writeback.New(&mlflowrest.Client{BaseURL: "http://127.0.0.1:1"})
	for step := range int64(3) {
		gone.EnqueueServing("iris", "1", serving(step+1, 1, 0, 0, 0.001))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if left := gone.Drain(ctx); left != 3 {
		t.Errorf("Drain with a done context left %d, want 3", left)
	}
}

func TestEnqueueServingDrops(t *testing.T) {
	wr := writeback.New(&mlflowrest.Client{BaseURL: "http://127.0.0.1:1"}, writeback.WithQueueSize(1))
	if !wr.EnqueueServing("iris", "1", serving(1, 1, 0, 0, 0.001)) {
		t.Fatal("first report refused")
	}
	if wr.EnqueueServing("iris", "1", serving(2, 1, 0, 0, 0.001)) || wr.Enqueue("iris", "1", window(1, drift.StatusOK, 0.02)) {
		t.Error("a full queue took more")
	}
	if got := wr.Dropped(); got != 2 {
		t.Errorf("Dropped() = %d, want 2", got)
	}
}

// TestServingReplicas: each writer with an instance — a serving process
// — writes to a run of its own, tagged with the instance: two replicas
// have two runs, and a server started again on the same host:port gets a
// new one rather than mixing its steps into its predecessor's.
func TestServingReplicas(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	a := writeback.New(c, writeback.WithInstance("host-a:8080"))
	for step := range int64(2) {
		if err := a.Serving(ctx, "iris", "1", serving(step+1, 60, 0, 0, 0.003)); err != nil {
			t.Fatal(err)
		}
	}
	for _, inst := range []string{"host-b:8080", "host-a:8080"} {
		if err := writeback.New(c, writeback.WithInstance(inst)).Serving(ctx, "iris", "1", serving(1, 60, 0, 0, 0.003)); err != nil {
			t.Fatal(err)
		}
	}
	runs := monitoringRuns(t, c)
	got := map[string]int{}
	for _, r := range runs {
		for _, tag := range r.Data.Tags {
			if tag.Key == writeback.TagInstance {
				got[tag.Value]++
			}
		}
	}
	if len(runs) != 3 || got["host-a:8080"] != 2 || got["host-b:8080"] != 1 {
		t.Errorf("%d monitoring runs, instances %v; want host-a's two processes and host-b's one", len(runs), got)
	}
}

// TestFinish marks the writer's own runs FINISHED, and leaves shared runs
// (no instance) alone.
func TestFinish(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	shared := writeback.New(c)
	if err := shared.Serving(ctx, "iris", "1", serving(1, 5, 0, 0, 0.001)); err != nil {
		t.Fatal(err)
	}
	own := writeback.New(c, writeback.WithInstance("host-a:8080"))
	if err := own.Serving(ctx, "iris", "1", serving(1, 5, 0, 0, 0.001)); err != nil {
		t.Fatal(err)
	}
	if err := shared.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := own.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, r := range monitoringRuns(t, c) {
		inst := ""
		for _, tag := range r.Data.Tags {
			if tag.Key == writeback.TagInstance {
				inst = tag.Value
			}
		}
		status[inst] = r.Info.Status
	}
	if status[""] != "RUNNING" || status["host-a:8080"] != "FINISHED" {
		t.Errorf("run status by instance %v, want the shared one running, host-a's finished", status)
	}
}

// TestWindowUploadFails: a tracking server that refuses the window's
// artifact still gets the window's metrics and the version's status.
func TestWindowUploadFails(t *testing.T) {
	c := newRegistry(t)
	target, err := url.Parse(c.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, "artifact store read-only", http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer refusing.Close()
	wr := writeback.New(&mlflowrest.Client{BaseURL: refusing.URL})
	if err := wr.Window(context.Background(), "iris", "1", window(1, drift.StatusDrift, 0.9)); err != nil {
		t.Fatalf("Window with a refused upload: %v", err)
	}
	if got := versionTags(t, c)["berth.drift.status"]; got != "drift" {
		t.Errorf("drift status tag %q, want drift", got)
	}
}
