package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/gateway/gatewaytest"
)

// searchTraces asks the v3 traces/search route for experiment 0's traces
// until want are there (20 s at most).
func searchTraces(t *testing.T, base string, want int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Post(base+"/api/3.0/mlflow/traces/search", "application/json",
			strings.NewReader(`{"locations":[{"type":"MLFLOW_EXPERIMENT","mlflow_experiment":{"experiment_id":"0"}}],"max_results":100}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var out struct {
			Traces []map[string]any `json:"traces"`
		}
		if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil {
			t.Fatalf("traces/search: %d %s", resp.StatusCode, b)
		}
		if len(out.Traces) >= want || time.Now().After(deadline) {
			return out.Traces
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestGatewayTraces: with --trace-sample-rate 1, berth server's mounted
// gateway writes a trace per call into its own store, and a standalone
// berth gateway posts its traces to --tracking-uri; both show up through
// the v3 search route.
func TestGatewayTraces(t *testing.T) {
	bin := buildBerth(t)
	up := httptest.NewServer(&gatewaytest.Echo{})
	defer up.Close()
	cfg := writeGatewayConfig(t, up.URL)
	data := t.TempDir()
	srv := startBerth(t, bin, "server", "--port", "0", "--backend-store-uri", "sqlite:///"+filepath.Join(data, "b.db"),
		"--artifacts-destination", filepath.Join(data, "a"), "--gateway-config", cfg, "--trace-sample-rate", "1")
	checkGateway(t, srv) // chat, embeddings, a stream: three calls
	traces := searchTraces(t, srv, 3)
	if len(traces) != 3 {
		t.Fatalf("berth server: %d traces of 3 gateway calls: %v", len(traces), traces)
	}
	previews := map[any]bool{}
	for _, tr := range traces {
		previews[tr["request_preview"]] = true
	}
	if !previews["hello there"] || !previews["one two"] {
		t.Errorf("request previews %v, want the chat's and the stream's messages", previews)
	}

	gw := startBerth(t, bin, "gateway", "--config", cfg, "--port", "0", "--tracking-uri", srv, "--report-interval", "0", "--trace-sample-rate", "1")
	checkGateway(t, gw)
	if n := len(searchTraces(t, srv, 6)); n != 6 {
		t.Errorf("after 3 calls through the standalone gateway: %d traces, want 6", n)
	}

	if out, err := exec.Command(bin, "gateway", "--config", cfg, "--port", "0", "--trace-sample-rate", "0.5").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "--trace-sample-rate 0.5 needs --tracking-uri") {
		t.Errorf("berth gateway --trace-sample-rate without --tracking-uri: %v %s", err, out)
	}
}
