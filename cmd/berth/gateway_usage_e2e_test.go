package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/gateway/gatewaytest"
	"github.com/berthml/berth/gateway/usage"
)

// usageRun finds the usage run of endpoint in the tracking server at base
// and returns it with the sum of each metric's history; nil until the run
// exists.
func usageRun(t *testing.T, base, endpoint string, keys ...string) (*mlflowrest.Run, map[string]float64) {
	t.Helper()
	ctx := context.Background()
	c := &mlflowrest.Client{BaseURL: base}
	var exp mlflowrest.GetExperimentResponse
	if err := c.Get(ctx, "experiments/get-by-name", url.Values{"experiment_name": {usage.DefaultExperiment}}, &exp); err != nil {
		return nil, nil
	}
	var found mlflowrest.SearchRunsResponse
	if err := c.Post(ctx, "runs/search", mlflowrest.SearchRunsRequest{ExperimentIDs: []string{exp.Experiment.ExperimentID},
		Filter: "tags.`" + usage.TagEndpoint + "` = '" + endpoint + "'"}, &found); err != nil {
		t.Fatal(err)
	}
	if len(found.Runs) == 0 {
		return nil, nil
	}
	if len(found.Runs) > 1 {
		t.Fatalf("%d usage runs of %s, want one per gateway process", len(found.Runs), endpoint)
	}
	run := found.Runs[0]
	sums := map[string]float64{}
	for _, key := range keys {
		var hist mlflowrest.GetMetricHistoryResponse
		if err := c.Get(ctx, "metrics/get-history", url.Values{"run_id": {run.Info.RunID}, "metric_key": {key}}, &hist); err != nil {
			t.Fatal(err)
		}
		for _, m := range hist.Metrics {
			sums[key] += float64(m.Value)
		}
	}
	return &run, sums
}

// waitUsage polls until the usage run of endpoint sums want of every
// metric named, or fails after 30 s.
func waitUsage(t *testing.T, base, endpoint string, want map[string]float64) *mlflowrest.Run {
	t.Helper()
	var names []string
	for k := range want {
		names = append(names, k)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		run, sums := usageRun(t, base, endpoint, names...)
		ok := run != nil
		for k, v := range want {
			ok = ok && sums[k] == v
		}
		if ok {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage of %s in %s: %v, want %v", endpoint, base, sums, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestGatewayUsageReports runs the binaries: berth gateway --tracking-uri
// writes its endpoints' usage (per key too, with cost from the config's
// prices) to a berth tracking server over REST, and finishes its runs on
// SIGTERM; berth server --gateway-config writes its gateway's usage into
// its own store.
func TestGatewayUsageReports(t *testing.T) {
	bin := buildBerth(t)
	up := httptest.NewServer(&gatewaytest.Echo{})
	defer up.Close()
	cfg := writeGatewayConfig(t, up.URL)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("prices:\n  - endpoint: chat\n    input: 1000\n    output: 2000\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()

	data := t.TempDir()
	tracking := startBerth(t, bin, "server", "--port", "0", "--backend-store-uri", "sqlite:///"+filepath.Join(data, "t.db"),
		"--artifacts-destination", filepath.Join(data, "a"))
	keyDB := "sqlite:///" + filepath.Join(data, "keys.db")
	out, err := gatewayKeys(t, keyDB, "create", "--name", "team-a", "-o", "json")
	if err != nil {
		t.Fatalf("creating a key: %v %s", err, out)
	}
	var created struct{ Secret string }
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	gw, stopGateway := startBerthStoppable(t, bin, "gateway", "--config", cfg, "--port", "0", "--gateway-keys", "--backend-store-uri", keyDB,
		"--tracking-uri", tracking, "--report-interval", "300ms")
	call := func(base, auth string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/endpoints/chat/invocations", strings.NewReader(`{"messages":[{"role":"user","content":"hello there"}]}`))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 3 {
		if code := call(gw, created.Secret); code != 200 {
			t.Fatalf("a query with the key: %d", code)
		}
	}
	if code := call(gw, ""); code != 401 {
		t.Fatalf("a query without a key: %d", code)
	}
	// echo: "hello there" is 5 prompt and 3 completion tokens; $1000 and
	// $2000 per million: 3 × (0.005 + 0.006) dollars.
	run := waitUsage(t, tracking, "chat", map[string]float64{"gateway.requests": 4, "gateway.client_errors": 1,
		"gateway.input_tokens": 15, "gateway.output_tokens": 9, "gateway.key.team-a.requests": 3, "gateway.key.team-a.errors": 0})
	_, sums := usageRun(t, tracking, "chat", "gateway.cost_usd", "gateway.latency_p95_ms")
	if c := sums["gateway.cost_usd"]; c < 0.0329 || c > 0.0331 || sums["gateway.latency_p95_ms"] <= 0 {
		t.Errorf("cost %v dollars (want 0.033), p95 %v ms", c, sums["gateway.latency_p95_ms"])
	}
	tags := map[string]string{}
	for _, tg := range run.Data.Tags {
		tags[tg.Key] = tg.Value
	}
	if run.Info.RunName != "chat-gateway-usage" || tags[usage.TagSourceName] != "berth gateway" || tags[usage.TagProcess] == "" ||
		"http://"+tags[usage.TagInstance] != gw {
		t.Errorf("usage run %+v tags %v (the gateway at %s)", run.Info, tags, gw)
	}
	if code, body := get(t, gw+"/metrics"); code != 200 || !strings.Contains(body, "berth_gateway_usage_reports_dropped_total 0\n") {
		t.Errorf("/metrics lacks berth_gateway_usage_reports_dropped_total 0: %d", code)
	}
	stopGateway()
	if run, _ := usageRun(t, tracking, "chat"); run == nil || run.Info.Status != "FINISHED" {
		t.Errorf("the usage run after SIGTERM: %+v, want FINISHED", run)
	}

	data2 := t.TempDir()
	srv := startBerth(t, bin, "server", "--port", "0", "--backend-store-uri", "sqlite:///"+filepath.Join(data2, "b.db"),
		"--artifacts-destination", filepath.Join(data2, "a"), "--gateway-config", cfg, "--report-interval", "300ms")
	for range 2 {
		if code := call(srv, ""); code != 200 {
			t.Fatalf("a query to the mounted gateway: %d", code)
		}
	}
	waitUsage(t, srv, "chat", map[string]float64{"gateway.requests": 2, "gateway.output_tokens": 6})
}
