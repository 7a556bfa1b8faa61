package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/drift/writeback"
	"github.com/berthml/berth/internal/iristest"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/serve"
	"github.com/berthml/berth/server/servertest"
)

// TestDriftAlertsEndToEnd is the drift scenario end to end: iris with a
// drift reference, registered on a real berth tracking server (SQLite) and
// served with drift write-back to it as berth serve does, while a real
// Prometheus scrapes the server every second with the real alerts.yml.
// The traffic is the reference data itself, then petal_length × 1.3 in two
// windows: berth_drift_detected follows the first, the model's status
// (berth_drift_model_detected, the berth.drift.status tag) warns after it
// and drifts after the second (drift.DefaultPersistence), the drift alerts
// follow, and the monitoring run holds each window's metrics.
func TestDriftAlertsEndToEnd(t *testing.T) {
	promBin := tool(t, "prometheus")
	ortest.Init(t)
	rows := iristest.Rows(t)

	dir := iristest.ModelWithReference(t)
	tracking := &mlflowrest.Client{BaseURL: servertest.New(t).URL}
	mv, err := modeluri.Register(context.Background(), tracking, modeluri.Registration{Dir: dir, Name: "iris"})
	if err != nil {
		t.Fatal(err)
	}
	wr := writeback.New(tracking)
	reg := prometheus.NewRegistry()
	srv := serve.New(serve.WithRegistry(reg, reg), serve.WithShutdownTimeout(time.Second),
		serve.WithDriftOptions(drift.WithWindowRows(len(rows)), drift.WithWindowTime(0)),
		serve.WithDriftListener(wr.Listen))
	m, err := serve.LoadModel(context.Background(), "iris", mv.Version, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Add(m)
	srv.MarkReady()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	go wr.Run(ctx)
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serving: %v", err)
		}
		srv.Close()
	})
	berthURL := "http://" + ln.Addr().String()

	prom := startPrometheus(t, promBin, ln.Addr().String())

	score := func(rows [][]float64) {
		t.Helper()
		resp, err := http.Post(berthURL+"/models/iris/invocations", "application/json", bytes.NewReader(invocationsBody(t, rows)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("invocations = %d: %s", resp.StatusCode, b)
		}
	}
	const detected = `berth_drift_detected{job="berth",model="iris",version="1",feature="petal_length"}`

	score(rows)
	prom.waitFor(t, detected, "0")
	prom.waitFor(t, `berth_drift_model_detected{model="iris"}`, "0")
	waitForTag(t, tracking, "berth.drift.status", "ok")
	if v := prom.values(t, `ALERTS{alertname=~"BerthModelDrift|BerthFeatureDrift"}`); len(v) != 0 {
		t.Errorf("drift alerts on the reference data: %v", v)
	}

	shifted := make([][]float64, len(rows))
	for i, r := range rows {
		shifted[i] = []float64{r[0], r[1], r[2] * 1.3, r[3]}
	}
	score(shifted)
	prom.waitFor(t, detected, "1")
	prom.waitFor(t, `berth_drift_detected{model="iris",feature="sepal_width"}`, "0")
	prom.waitFor(t, `berth_drift_consecutive_windows{model="iris"}`, "1")
	// one drifting window: the model warns, no model alert
	prom.waitFor(t, `berth_drift_model_detected{model="iris"}`, "0")
	waitForTag(t, tracking, "berth.drift.status", "warning")
	if v := prom.values(t, `ALERTS{alertname="BerthModelDrift"}`); len(v) != 0 {
		t.Errorf("BerthModelDrift after one drifting window: %v", v)
	}
	score(shifted)
	prom.waitFor(t, `berth_drift_consecutive_windows{model="iris"}`, "2")
	prom.waitFor(t, `berth_drift_model_detected{model="iris"}`, "1")
	// The rules hold for minutes before they fire; pending is what a test
	// can wait for.
	prom.waitFor(t, `ALERTS{alertname="BerthFeatureDrift",alertstate="pending",severity="info",model="iris",version="1",feature="petal_length"}`, "1")
	prom.waitFor(t, `ALERTS{alertname="BerthModelDrift",alertstate="pending",severity="warning",model="iris",version="1"}`, "1")
	if v := prom.values(t, `ALERTS{alertname="BerthFeatureDrift"}`); len(v) != 1 {
		t.Errorf("BerthFeatureDrift alerts = %v, want petal_length's alone", v)
	}
	prom.checkRules(t)

	// The tracking server: the tag flipped, the worst feature is named,
	// and the monitoring run holds both windows, step by step.
	waitForTag(t, tracking, "berth.drift.status", "drift")
	if got := versionTag(t, tracking, writeback.TagWorstFeature); got != "petal_length" {
		t.Errorf("%s = %q, want petal_length", writeback.TagWorstFeature, got)
	}
	if got, want := versionTag(t, tracking, writeback.TagRule), "drift: 1 of 4 features after Benjamini–Hochberg at q=0.01, 2 consecutive drifting windows (drift from 2)"; got != want {
		t.Errorf("%s = %q, want %q", writeback.TagRule, got, want)
	}
	var runs mlflowrest.SearchRunsResponse
	var exp mlflowrest.GetExperimentResponse
	if err := tracking.Get(ctx, "experiments/get-by-name", url.Values{"experiment_name": {"berth-monitoring"}}, &exp); err != nil {
		t.Fatal(err)
	}
	if err := tracking.Post(ctx, "runs/search", mlflowrest.SearchRunsRequest{ExperimentIDs: []string{exp.Experiment.ExperimentID},
		Filter: "tags.`berth.model` = 'iris'"}, &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs.Runs) != 1 {
		t.Fatalf("%d monitoring runs, want 1", len(runs.Runs))
	}
	var hist mlflowrest.GetMetricHistoryResponse
	if err := tracking.Get(ctx, "metrics/get-history", url.Values{"run_id": {runs.Runs[0].Info.RunID},
		"metric_key": {"drift.petal_length.drifted"}}, &hist); err != nil {
		t.Fatal(err)
	}
	byStep := map[int64]float64{}
	for _, m := range hist.Metrics {
		byStep[int64(m.Step)] = float64(m.Value)
	}
	if len(byStep) != 3 || byStep[1] != 0 || byStep[2] != 1 || byStep[3] != 1 {
		t.Errorf("drift.petal_length.drifted by window = %v, want 1:0 2:1 3:1", byStep)
	}
}

// versionTag returns a tag of iris version 1 on the tracking server.
func versionTag(t *testing.T, c *mlflowrest.Client, key string) string {
	t.Helper()
	var mv mlflowrest.ModelVersionResponse
	if err := c.Get(context.Background(), "model-versions/get", url.Values{"name": {"iris"}, "version": {"1"}}, &mv); err != nil {
		t.Fatal(err)
	}
	for _, tg := range mv.ModelVersion.Tags {
		if tg.Key == key {
			return tg.Value
		}
	}
	return ""
}

// waitForTag waits for the write-back to set a version tag.
func waitForTag(t *testing.T, c *mlflowrest.Client, key, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := versionTag(t, c, key)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("version tag %s = %q after 15s, want %q", key, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type prometheusServer struct {
	url string
}

// startPrometheus runs Prometheus scraping target every second with the
// real alerts.yml, and stops it when the test ends.
func startPrometheus(t *testing.T, bin, target string) *prometheusServer {
	t.Helper()
	dir := t.TempDir()
	rules, err := filepath.Abs(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: berth
    static_configs:
      - targets: [%q]
`, rules, target)
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("prometheus logs:\n%s", logs.String())
		}
	})
	p := &prometheusServer{url: "http://" + addr}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("prometheus exited: %v\n%s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready after 20s\n%s", logs.String())
		}
	}
}

// freeAddr returns a 127.0.0.1 address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// values runs an instant query and returns its samples' values, one
// per series.
func (p *prometheusServer) values(t *testing.T, query string) map[string]string {
	t.Helper()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []sample `json:"result"`
		} `json:"data"`
	}
	p.get(t, "/api/v1/query?query="+url.QueryEscape(query), &r)
	if r.Status != "success" {
		t.Fatalf("query %s: %s %s", query, r.Status, r.Error)
	}
	out := map[string]string{}
	for _, s := range r.Data.Result {
		v, _ := s.Value[1].(string)
		out[fmt.Sprint(s.Metric)] = v
	}
	return out
}

// waitFor polls query until it returns exactly one series of value want.
func (p *prometheusServer) waitFor(t *testing.T, query, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got map[string]string
	for time.Now().Before(deadline) {
		got = p.values(t, query)
		if len(got) == 1 {
			for _, v := range got {
				if f, err := strconv.ParseFloat(v, 64); err == nil && strconv.FormatFloat(f, 'f', -1, 64) == want {
					return
				}
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s = %v after 30s, want one series of %s", query, got, want)
}

// checkRules asserts every alerting rule was evaluated without error.
func (p *prometheusServer) checkRules(t *testing.T) {
	t.Helper()
	var r struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	p.get(t, "/api/v1/rules?type=alert", &r)
	n := 0
	for _, g := range r.Data.Groups {
		for _, rule := range g.Rules {
			n++
			if rule.Health != "ok" {
				t.Errorf("rule %s: health %q %s", rule.Name, rule.Health, rule.LastError)
			}
		}
	}
	if n != 5 {
		t.Errorf("prometheus loaded %d alerting rules, want 5", n)
	}
}

func (p *prometheusServer) get(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(p.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s = %d: %v: %s", path, resp.StatusCode, err, b)
	}
}

// lockedBuffer collects a child process's output while tests read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
