package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/server/servertest"
)

// TestDriftWriteback serves models:/iris@champion with a drift reference
// and 10-row windows: shifted inputs close a drifting window, which berth
// writes back as the version's tags, a monitoring run's metrics, its
// drift/window.json artifact and one webhook event; and every second it
// writes back what the version served (requests, errors, latency).
func TestDriftWriteback(t *testing.T) {
	lib := ortest.Init(t)
	bin := buildBerth(t)
	data := t.TempDir()
	registry := startSQLiteServer(t, bin, data)

	model := filepath.Join(data, "iris")
	if err := os.CopyFS(model, os.DirFS("../../testdata/models/iris_logreg")); err != nil {
		t.Fatal(err)
	}
	runBerth(t, bin, "drift", "profile", model, "--data", "../../testdata/data/iris.csv")
	runBerth(t, bin, "models", "register", model, "--name", "iris", "--alias", "champion", "--registry-uri", registry)

	var (
		mu     sync.Mutex
		events []map[string]any
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}))
	defer hook.Close()

	serving, stop := startBerthStoppable(t, bin, "serve", "models:/iris@champion", "--registry-uri", registry,
		"--port", "0", "--ort-lib", lib, "--cache-dir", filepath.Join(data, "cache"),
		"--drift-window-rows", "10", "--drift-persistence", "1", "--drift-period", "0", "--drift-webhook", hook.URL, "--report-interval", "1s")
	// A bad request: a 400, counted as a client error, and no drift rows.
	bad, err := http.Post(serving+"/invocations", "application/json", strings.NewReader(`{"dataframe_split": {"columns": ["sepal_length"], "data": [[1]]}}`))
	if err != nil {
		t.Fatal(err)
	}
	bad.Body.Close()
	if bad.StatusCode != 400 {
		t.Fatalf("bad request: %s, want 400", bad.Status)
	}
	// Ten rows far outside the reference: one drifting window, which
	// drifts the model at once (--drift-persistence 1).
	rows := strings.TrimSuffix(strings.Repeat("[50.0, 30.0, 40.0, 20.0],", 10), ",")
	body := `{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [` + rows + `]}}`
	resp, err := http.Post(serving+"/invocations", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scoring: %s", resp.Status)
	}

	var shown struct {
		Versions []struct {
			Version string `json:"version"`
			Tags    []struct{ Key, Value string }
		} `json:"model_versions"`
	}
	tags := map[string]string{}
	deadline := time.Now().Add(15 * time.Second)
	for tags["berth.drift.status"] == "" {
		if time.Now().After(deadline) {
			t.Fatal("the drift window was not written back to the registry")
		}
		time.Sleep(100 * time.Millisecond)
		if err := json.Unmarshal([]byte(runBerth(t, bin, "models", "show", "iris", "-o", "json", "--registry-uri", registry)), &shown); err != nil {
			t.Fatal(err)
		}
		for _, v := range shown.Versions {
			for _, tag := range v.Tags {
				if v.Version == "1" {
					tags[tag.Key] = tag.Value
				}
			}
		}
	}
	if tags["berth.drift.status"] != "drift" || tags["berth.drift.worst_feature"] == "" || tags["berth.drift.last_window"] == "" ||
		!strings.HasPrefix(tags["berth.drift.rule"], "drift: 4 of 4 features after Benjamini–Hochberg at q=0.01;") ||
		!strings.HasSuffix(tags["berth.drift.rule"], ", 1 consecutive drifting window (drift from 1)") {
		t.Errorf("version 1 tags: %v", tags)
	}
	if table := runBerth(t, bin, "models", "show", "iris", "--registry-uri", registry); !strings.Contains(table, "DRIFT") ||
		!strings.Contains(table, "drift ("+tags["berth.drift.worst_feature"]+")") {
		t.Errorf("models show does not show the drift status:\n%s", table)
	}
	if runs := servertest.MonitoringRuns(t, &mlflowrest.Client{BaseURL: registry}); len(runs) != 1 || runs[0].Info.RunName != "iris-v1-monitoring" {
		t.Errorf("monitoring runs: %+v", runs)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(events)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	checkServingWriteback(t, registry)
	checkShutdownFlush(t, registry, serving, stop)
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 1 || events[0]["status"] != "drift" || events[0]["model"] != "iris" {
		t.Errorf("webhook events: %v", events)
	}
}

// checkServingWriteback waits for berth serve's serving reports on iris
// version 1's monitoring run and checks them and the drift window
// artifact there.
func checkServingWriteback(t *testing.T, registry string) {
	t.Helper()
	ctx := context.Background()
	c := &mlflowrest.Client{BaseURL: registry}
	runs := servertest.MonitoringRuns(t, c)
	if len(runs) != 1 {
		t.Fatalf("found %d monitoring runs, want 1", len(runs))
	}
	run := runs[0]
	history := func(key string) []float64 { return servertest.MetricHistory(t, c, run.Info.RunID, key) }
	// Both requests were answered before the first report.
	deadline := time.Now().Add(15 * time.Second)
	for sum(history("serving.requests")) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("serving reports not written back: serving.requests history %v", history("serving.requests"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := sum(history("serving.requests")); got != 2 {
		t.Errorf("serving.requests add up to %v, want 2", got)
	}
	if got := sum(history("serving.client_errors")); got < 1 {
		t.Errorf("serving.client_errors add up to %v, want >= 1", got)
	}
	if p95 := history("serving.latency_p95_ms"); len(p95) == 0 || p95[0] <= 0 {
		t.Errorf("serving.latency_p95_ms history %v, want a positive latency", p95)
	}
	if len(history("serving.request_rate")) == 0 {
		t.Error("no serving.request_rate")
	}
	var mv mlflowrest.ModelVersionResponse
	if err := c.Get(ctx, "model-versions/get", url.Values{"name": {"iris"}, "version": {"1"}}, &mv); err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tg := range mv.ModelVersion.Tags {
		tags[tg.Key] = tg.Value
	}
	if _, err := time.Parse(time.RFC3339, tags["berth.serving.last_report"]); err != nil {
		t.Errorf("berth.serving.last_report = %q: %v", tags["berth.serving.last_report"], err)
	}
	if !strings.Contains(tags["berth.serving.instance"], ":") {
		t.Errorf("berth.serving.instance = %q, want host:port", tags["berth.serving.instance"])
	}

	root := strings.Trim(strings.TrimPrefix(run.Info.ArtifactURI, "mlflow-artifacts:"), "/")
	rc, err := c.GetArtifact(ctx, root+"/drift/window.json")
	if err != nil {
		t.Fatalf("reading drift/window.json: %v", err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Model    string `json:"model"`
		Version  string `json:"version"`
		Window   int64  `json:"window"`
		Rows     int64  `json:"rows"`
		Status   string `json:"status"`
		Features []struct {
			Feature   string   `json:"feature"`
			Output    bool     `json:"output"`
			PSI       *float64 `json:"psi"`
			Labels    []string `json:"labels"`
			Reference []int64  `json:"reference"`
			Current   []int64  `json:"current"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &wf); err != nil {
		t.Fatalf("drift/window.json: %v\n%s", err, b)
	}
	if wf.Model != "iris" || wf.Version != "1" || wf.Window != 1 || wf.Rows != 10 || wf.Status != "drift" {
		t.Errorf("drift/window.json: %s", b)
	}
	inputs := 0
	for _, f := range wf.Features {
		if f.Output {
			continue
		}
		inputs++
		var n int64
		for _, c := range f.Current {
			n += c
		}
		if f.PSI == nil || len(f.Labels) == 0 || len(f.Reference) != len(f.Labels) || len(f.Current) != len(f.Labels) || n != 10 {
			t.Errorf("drift/window.json feature %s: psi %v, %d labels, reference %v, current %v (want the window's 10 rows)",
				f.Feature, f.PSI, len(f.Labels), f.Reference, f.Current)
		}
	}
	if inputs != 4 {
		t.Errorf("drift/window.json has %d input features, want 4: %s", inputs, b)
	}
}

// checkShutdownFlush scores three more requests and stops berth serve at
// once, well within a report interval: the last partial interval is
// reported on the way out, and the monitoring run is FINISHED.
func checkShutdownFlush(t *testing.T, registry, serving string, stop func()) {
	t.Helper()
	c := &mlflowrest.Client{BaseURL: registry}
	runOf := func() mlflowrest.Run {
		runs := servertest.MonitoringRuns(t, c)
		if len(runs) != 1 {
			t.Fatalf("%d monitoring runs, want 1", len(runs))
		}
		return runs[0]
	}
	requests := func(runID string) float64 { return sum(servertest.MetricHistory(t, c, runID, "serving.requests")) }
	run := runOf()
	before := requests(run.Info.RunID)
	const more = 3
	for range more {
		scoreIris(t, serving)
	}
	stop()
	run = runOf()
	// A report may run between reading and stopping; either way every
	// request is reported exactly once.
	if got := requests(run.Info.RunID); got != before+more {
		t.Errorf("serving.requests add up to %v after shutdown, want %v + %d", got, before, more)
	}
	if run.Info.Status != "FINISHED" || run.Info.EndTime == nil {
		t.Errorf("the monitoring run is %s (end %v) after shutdown, want FINISHED", run.Info.Status, run.Info.EndTime)
	}
}
