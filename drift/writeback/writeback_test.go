package writeback_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/drift/writeback"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/server/servertest"
)

// newRegistry runs a real berth tracking server (SQLite, local artifacts)
// in-process with iris registered as version 1.
func newRegistry(t *testing.T) *mlflowrest.Client {
	t.Helper()
	ctx := context.Background()
	ts := servertest.New(t)
	c := &mlflowrest.Client{BaseURL: ts.URL}
	if _, err := modeluri.Register(ctx, c, modeluri.Registration{
		Dir: filepath.Join("..", "..", "testdata", "models", "iris_logreg"), Name: "iris"}); err != nil {
		t.Fatal(err)
	}
	return c
}

func f(v float64) *float64 { return &v }

// window builds a closed window over two features; petal_length carries
// psi.
func window(n int64, status drift.Status, psi float64) drift.WindowResult {
	end := time.Date(2026, 1, 1, 0, int(n), 0, 0, time.UTC)
	drifted := status == drift.StatusDrift
	feats := []drift.FeatureResult{
		{Feature: "petal_length", PSI: f(psi), KSPValue: f(0.5 / (psi + 1)), KSPAdjusted: f(1.5 / (psi + 1)), JSDistance: f(psi / 4),
			Wasserstein: f(psi / 2), Drifted: drifted, Status: status},
		{Feature: "sepal_width", PSI: f(0.01), KSPValue: f(0.9), JSDistance: f(0.01), Status: drift.StatusOK},
		// A name MLflow refuses in a metric key, and an output column.
		{Feature: "petal width (cm)", PSI: f(0.03), KSPValue: f(0.8), Status: drift.StatusOK},
		{Feature: "probabilities.2", PSI: f(0.04), KSPValue: f(0.7), Status: drift.StatusOK, Output: true},
	}
	share, nd, run := 0.0, 0, 0
	if drifted {
		share, nd, run = 1.0/3, 1, 2
	}
	th := drift.DefaultThresholds()
	rule := drift.Rule{Correction: drift.Correction, KSQ: th.KSPValue, Chi2Q: th.Chi2PValue, Tests: 3, LargeSample: th.JSMinCount}
	w := drift.WindowResult{Window: n, Start: end.Add(-time.Minute), End: end, Rows: 100 * n, Status: status,
		Verdict: status, Consecutive: run, Persistence: drift.DefaultPersistence,
		Report: &drift.Report{Status: status, DriftedFeatures: nd, DriftShare: share, Rule: rule, Features: feats}}
	for _, fr := range feats {
		w.Features = append(w.Features, drift.FeatureScore{Feature: fr.Feature, PSI: fr.PSI, JS: fr.JSDistance,
			Wasserstein: fr.Wasserstein, KSPAdjusted: fr.KSPAdjusted, Drifted: fr.Drifted, Status: fr.Status, Output: fr.Output})
	}
	return w
}

func monitoringRuns(t *testing.T, c *mlflowrest.Client) []mlflowrest.Run {
	t.Helper()
	ctx := context.Background()
	var exp mlflowrest.GetExperimentResponse
	if err := c.Get(ctx, "experiments/get-by-name", url.Values{"experiment_name": {"berth-monitoring"}}, &exp); err != nil {
		t.Fatal(err)
	}
	var got mlflowrest.SearchRunsResponse
	if err := c.Post(ctx, "runs/search", mlflowrest.SearchRunsRequest{
		ExperimentIDs: []string{exp.Experiment.ExperimentID},
		Filter:        "tags.`berth.model` = 'iris' and tags.`berth.model_version` = '1'"}, &got); err != nil {
		t.Fatal(err)
	}
	return got.Runs
}

func versionTags(t *testing.T, c *mlflowrest.Client) map[string]string {
	t.Helper()
	var mv mlflowrest.ModelVersionResponse
	if err := c.Get(context.Background(), "model-versions/get", url.Values{"name": {"iris"}, "version": {"1"}}, &mv); err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tg := range mv.ModelVersion.Tags {
		tags[tg.Key] = tg.Value
	}
	return tags
}

func TestWindow(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	var (
		mu     sync.Mutex
		events []writeback.Event
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev writeback.Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}))
	defer hook.Close()

	wr := writeback.New(c, writeback.WithWebhook(hook.URL))
	for _, w := range []drift.WindowResult{window(1, drift.StatusOK, 0.02), window(2, drift.StatusDrift, 0.6)} {
		if err := wr.Window(ctx, "iris", "1", w); err != nil {
			t.Fatal(err)
		}
	}

	runs := monitoringRuns(t, c)
	if len(runs) != 1 {
		t.Fatalf("found %d monitoring runs, want 1", len(runs))
	}
	run := runs[0]
	if run.Info.RunName != "iris-v1-monitoring" {
		t.Errorf("run name %q, want iris-v1-monitoring", run.Info.RunName)
	}
	var hist mlflowrest.GetMetricHistoryResponse
	if err := c.Get(ctx, "metrics/get-history", url.Values{"run_id": {run.Info.RunID},
		"metric_key": {"drift.petal_length.psi"}}, &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist.Metrics) != 2 {
		t.Fatalf("history of drift.petal_length.psi: %d points, want 2", len(hist.Metrics))
	}
	steps := map[int64]float64{}
	for _, m := range hist.Metrics {
		steps[int64(m.Step)] = float64(m.Value)
	}
	if steps[1] != 0.02 || steps[2] != 0.6 {
		t.Errorf("psi by step = %v, want 1:0.02 2:0.6", steps)
	}
	latest := map[string]float64{}
	for _, m := range run.Data.Metrics {
		latest[m.Key] = float64(m.Value)
	}
	for k, want := range map[string]float64{"drift.status": 2, "drift.share": 1.0 / 3, "drift.rows": 200,
		"drift.verdict": 2, "drift.consecutive": 2, "drift.petal_length.wasserstein": 0.3,
		"drift.petal_length.ks_pvalue_adjusted": 1.5 / 1.6,
		"drift.petal_length.drifted":            1, "drift.sepal_width.drifted": 0, "drift.sepal_width.ks_pvalue": 0.9,
		"drift.petal width _cm_.psi": 0.03, "drift.probabilities.2.psi": 0.04} {
		if got, ok := latest[k]; !ok || got != want {
			t.Errorf("metric %s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if _, ok := latest["drift.petal_length.chi2_pvalue"]; ok {
		t.Error("chi2_pvalue logged for a feature without one")
	}

	tags := versionTags(t, c)
	for k, want := range map[string]string{"berth.drift.status": "drift", "berth.drift.worst_feature": "petal_length",
		"berth.drift.last_window": "2026-01-01T00:02:00Z",
		"berth.drift.rule":        "drift: 1 of 3 features after Benjamini–Hochberg at q=0.01; 0 of 1 output columns, 2 consecutive drifting windows (drift from 2)"} {
		if tags[k] != want {
			t.Errorf("version tag %s = %q, want %q", k, tags[k], want)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if len(events) != 1 {
		t.Fatalf("webhook got %d events, want 1: %+v", len(events), events)
	}
	ev := events[0]
	if ev.Model != "iris" || ev.Version != "1" || ev.Status != drift.StatusDrift || ev.PreviousStatus != drift.StatusOK ||
		ev.Window != 2 || ev.WorstFeature != "petal_length" {
		t.Errorf("webhook event %+v", ev)
	}
}

func TestRestartFindsRun(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	if err := writeback.New(c).Window(ctx, "iris", "1", window(1, drift.StatusOK, 0.02)); err != nil {
		t.Fatal(err)
	}
	// A new writer, as after a restart of berth serve.
	if err := writeback.New(c).Window(ctx, "iris", "1", window(2, drift.StatusWarning, 0.15)); err != nil {
		t.Fatal(err)
	}
	runs := monitoringRuns(t, c)
	if len(runs) != 1 {
		t.Fatalf("found %d monitoring runs after a restart, want 1", len(runs))
	}
	var hist mlflowrest.GetMetricHistoryResponse
	if err := c.Get(ctx, "metrics/get-history", url.Values{"run_id": {runs[0].Info.RunID},
		"metric_key": {"drift.status"}}, &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist.Metrics) != 2 {
		t.Errorf("drift.status history: %d points, want 2", len(hist.Metrics))
	}
	if got := versionTags(t, c)["berth.drift.status"]; got != "warning" {
		t.Errorf("berth.drift.status = %q, want warning", got)
	}
}

func TestTrackingServerDown(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	base := ts.URL
	ts.Close() // nothing listens there now
	wr := writeback.New(&mlflowrest.Client{BaseURL: base}, writeback.WithQueueSize(2))

	start := time.Now()
	if err := wr.Window(context.Background(), "iris", "1", window(1, drift.StatusOK, 0.02)); err == nil {
		t.Error("Window succeeded against a server that is down")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Window took %v against a server that is down", d)
	}

	// Nobody drains the queue: Enqueue must drop, not block.
	done := make(chan int)
	go func() {
		n := 0
		for i := range 10 {
			if wr.Enqueue("iris", "1", window(int64(i+1), drift.StatusOK, 0.02)) {
				n++
			}
		}
		done <- n
	}()
	select {
	case n := <-done:
		if n != 2 {
			t.Errorf("queued %d windows, want 2", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Enqueue blocked on a full queue")
	}
	if got := wr.Dropped(); got != 8 {
		t.Errorf("Dropped() = %d, want 8", got)
	}

	// Run drains the queue, logging the failures, and stops with ctx.
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { wr.Run(ctx); close(stopped) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
}

func TestRunWritesQueuedWindows(t *testing.T) {
	c := newRegistry(t)
	wr := writeback.New(c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go wr.Run(ctx)
	wr.Enqueue("iris", "1", window(1, drift.StatusWarning, 0.15))
	deadline := time.Now().Add(10 * time.Second)
	for versionTags(t, c)["berth.drift.status"] != "warning" {
		if time.Now().After(deadline) {
			t.Fatal("the queued window was not written")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWorstFeature(t *testing.T) {
	p := func(v float64) *float64 { return &v }
	in := func(name string, psi *float64) drift.FeatureScore { return drift.FeatureScore{Feature: name, PSI: psi} }
	out := func(name string, psi *float64) drift.FeatureScore {
		return drift.FeatureScore{Feature: name, PSI: psi, Output: true}
	}
	for _, tc := range []struct {
		name  string
		feats []drift.FeatureScore
		want  string
	}{
		{"none", nil, ""},
		{"no PSI", []drift.FeatureScore{in("a", nil), in("b", p(math.NaN()))}, ""},
		{"highest input", []drift.FeatureScore{in("a", p(0.1)), in("b", p(0.7)), in("c", p(0.3))}, "b"},
		{"inputs before outputs", []drift.FeatureScore{in("a", p(0.2)), out("label", p(5))}, "a"},
		{"output first in the list", []drift.FeatureScore{out("label", p(5)), in("a", p(0.2)), in("b", p(0.1))}, "a"},
		{"only outputs", []drift.FeatureScore{out("p.0", p(0.4)), out("p.1", p(0.9)), in("a", nil)}, "p.1"},
		// PSI no longer decides: the drifted input comes first
		{"drifted before higher PSI", []drift.FeatureScore{in("a", p(0.3)), {Feature: "b", PSI: p(0.1), Drifted: true}, in("c", p(0.2))}, "b"},
		{"highest PSI among drifted", []drift.FeatureScore{{Feature: "a", PSI: p(0.2), Drifted: true}, {Feature: "b", PSI: p(0.4), Drifted: true}, in("c", p(0.9))}, "b"},
	} {
		if got := writeback.WorstFeature(drift.WindowResult{Features: tc.feats}); got != tc.want {
			t.Errorf("%s: WorstFeature = %q, want %q", tc.name, got, tc.want)
		}
	}
}
