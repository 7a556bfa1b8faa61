package gatewaytrace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/gatewaytest"
	"github.com/berthml/berth/gateway/gatewaytrace"
	_ "github.com/berthml/berth/gateway/provider/openai"
	"github.com/berthml/berth/server"
	"github.com/berthml/berth/tracking/sqlstore"
)

// tracking starts a real berth tracking server (SQLite) and returns its
// URL and store.
func tracking(t *testing.T) (string, *sqlstore.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.Open(context.Background(), "sqlite:///"+filepath.Join(dir, "mlflow.db"), "mlflow-artifacts:/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	art, err := server.NewLocalArtifacts(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(st, art).Handler())
	t.Cleanup(ts.Close)
	return ts.URL, st
}

// tracedGateway serves a gateway over an Echo upstream whose calls tracer
// samples, with tracer running until the test ends.
func tracedGateway(t *testing.T, tracer *gatewaytrace.Tracer) string {
	t.Helper()
	up := httptest.NewServer(&gatewaytest.Echo{})
	t.Cleanup(up.Close)
	y := "endpoints:\n"
	for _, e := range [][3]string{{"chat", "llm/v1/chat", "gpt-4o-mini"}, {"embed", "llm/v1/embeddings", "text-embedding-3-small"}, {"chat-500", "llm/v1/chat", "fail500"}} {
		y += "  - name: " + e[0] + "\n    endpoint_type: " + e[1] + "\n    model:\n      provider: openai\n      name: " + e[2] +
			"\n      config: {openai_api_key: sk-provider-secret-key, openai_api_base: '" + up.URL + "/v1'}\n"
	}
	cfg, err := config.Parse([]byte(y), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.WithTracer(tracer), gateway.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); tracer.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv.URL
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// search asks the tracking server's v3 traces/search for experiment 0's
// traces until want of them are there.
func search(t *testing.T, trackingURL string, want int) []mlflowrest.TraceInfoV3 {
	t.Helper()
	body, _ := json.Marshal(mlflowrest.SearchTracesV3Request{Locations: []mlflowrest.TraceLocation{{Type: "MLFLOW_EXPERIMENT",
		MlflowExperiment: &mlflowrest.MlflowExperimentLocation{ExperimentID: "0"}}}, MaxResults: 100})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Post(trackingURL+"/api/3.0/mlflow/traces/search", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("traces/search: %d %s", resp.StatusCode, b)
		}
		var out mlflowrest.SearchTracesV3Response
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Traces) >= want || time.Now().After(deadline) {
			return out.Traces
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// spansOf returns the stored spans of a trace, as the batchGet route
// renders them.
func spanJSON(t *testing.T, st *sqlstore.Store, traceID string) string {
	t.Helper()
	_, spans, err := st.GetTraces(context.Background(), []string{traceID})
	if err != nil {
		t.Fatal(err)
	}
	if len(spans[traceID]) != 1 {
		t.Fatalf("trace %s has %d spans, want 1", traceID, len(spans[traceID]))
	}
	return string(spans[traceID][0].Content)
}

func checkTraces(t *testing.T, trackingURL string, st *sqlstore.Store) {
	t.Helper()
	traces := search(t, trackingURL, 4)
	if len(traces) != 4 {
		t.Fatalf("%d traces, want 4 (chat, stream, embeddings, failure)", len(traces))
	}
	byPreview := map[string]mlflowrest.TraceInfoV3{}
	states := map[string]int{}
	for _, tr := range traces {
		states[tr.State]++
		if tr.RequestPreview != nil {
			byPreview[*tr.RequestPreview] = tr
		}
	}
	if states["OK"] != 3 || states["ERROR"] != 1 {
		t.Errorf("trace states %v, want 3 OK and 1 ERROR", states)
	}
	chat, ok := byPreview["what is berth?"]
	if !ok {
		t.Fatalf("no trace with the chat's request preview; previews: %v", byPreview)
	}
	if chat.ResponsePreview == nil || *chat.ResponsePreview != "echo: what is berth?" {
		t.Errorf("chat response preview = %v", chat.ResponsePreview)
	}
	stream, ok := byPreview["stream please"]
	if !ok || stream.ResponsePreview == nil || *stream.ResponsePreview != "echo: stream please " {
		t.Errorf("the stream's trace: %+v (want its text as the response preview)", stream)
	}
	sp := spanJSON(t, st, chat.TraceID)
	for _, want := range []string{`"gateway/chat"`, `CHAT_MODEL`, `mlflow.chat.tokenUsage`, `input_tokens`, `gpt-4o-mini`} {
		if !strings.Contains(sp, want) {
			t.Errorf("the chat span lacks %s: %s", want, sp)
		}
	}
	for _, tr := range traces {
		s := spanJSON(t, st, tr.TraceID)
		if strings.Contains(s, "sk-provider-secret-key") {
			t.Errorf("a trace holds the provider's key: %s", s)
		}
		if strings.Contains(s, "gateway/embed\"") && !strings.Contains(s, "EMBEDDING") {
			t.Errorf("the embeddings span is not EMBEDDING: %s", s)
		}
	}
}

func callAll(t *testing.T, gw string) {
	t.Helper()
	if code, b := post(t, gw+"/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":"what is berth?"}]}`); code != 200 {
		t.Fatalf("chat: %d %s", code, b)
	}
	if code, b := post(t, gw+"/v1/chat/completions", `{"model":"chat","stream":true,"messages":[{"role":"user","content":"stream please"}]}`); code != 200 {
		t.Fatalf("stream: %d %s", code, b)
	}
	if code, b := post(t, gw+"/endpoints/embed/invocations", `{"input":["a","b"]}`); code != 200 {
		t.Fatalf("embeddings: %d %s", code, b)
	}
	if code, _ := post(t, gw+"/v1/chat/completions", `{"model":"chat-500","messages":[{"role":"user","content":"fail"}]}`); code < 500 {
		t.Fatalf("chat-500 answered %d", code)
	}
}

// TestInProcess: berth server's case, the gateway mounted beside the
// tracking store writes its traces straight into it; they show up through
// the v3 search route.
func TestInProcess(t *testing.T) {
	url, st := tracking(t)
	tracer, err := gatewaytrace.New(1, gatewaytrace.StoreSink{Store: st, ExperimentID: "0"}, gatewaytrace.WithFlush(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	callAll(t, tracedGateway(t, tracer))
	checkTraces(t, url, st)
	if s := tracer.Stats(); s.Written != 4 || s.Dropped != 0 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestOTLP: a standalone gateway's case, traces posted to the tracking
// server's /v1/traces.
func TestOTLP(t *testing.T) {
	url, st := tracking(t)
	tracer, err := gatewaytrace.New(1, gatewaytrace.OTLPSink{TrackingURI: url, ExperimentID: "0"}, gatewaytrace.WithFlush(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	callAll(t, tracedGateway(t, tracer))
	checkTraces(t, url, st)
}

// TestSampling: rate 0 traces nothing; a bad rate is refused; an
// unreachable tracking server counts failures and never slows the calls.
func TestSampling(t *testing.T) {
	if _, err := gatewaytrace.New(1.5, nil); err == nil {
		t.Error("a sample rate of 1.5 was accepted")
	}
	url, st := tracking(t)
	off, _ := gatewaytrace.New(0, gatewaytrace.StoreSink{Store: st, ExperimentID: "0"}, gatewaytrace.WithFlush(20*time.Millisecond))
	callAll(t, tracedGateway(t, off))
	time.Sleep(200 * time.Millisecond)
	if n := len(search(t, url, 0)); n != 0 {
		t.Errorf("rate 0 wrote %d traces", n)
	}
	dead, _ := gatewaytrace.New(1, gatewaytrace.OTLPSink{TrackingURI: "http://127.0.0.1:1", ExperimentID: "0"}, gatewaytrace.WithFlush(20*time.Millisecond))
	callAll(t, tracedGateway(t, dead))
	deadline := time.Now().Add(10 * time.Second)
	for dead.Stats().Failed < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s := dead.Stats(); s.Failed != 4 {
		t.Errorf("unreachable tracking server: stats %+v, want 4 failed", s)
	}
}
