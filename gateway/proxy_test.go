package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
)

// TestReplayGatewayProxy replays the gateway-proxy exchanges of
// testdata/conformance/mlflow-promptlab/transcript.jsonl (MLflow 2.17.2's
// tracking server with MLFLOW_DEPLOYMENTS_TARGET set, and without) against
// the proxy berth server mounts.
func TestReplayGatewayProxy(t *testing.T) {
	up := &standIn{t: t, recs: readExchanges(t, "upstream-transcript.jsonl")}
	upSrv := httptest.NewServer(up)
	defer upSrv.Close()
	// The prompt-lab recording's provider calls (same stand-in).
	pl, err := os.ReadFile("../testdata/conformance/mlflow-promptlab/gateway-proxy-provider-side-transcript.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	up.recs = append(up.recs, parseExchanges(t, pl)...)
	y, err := os.ReadFile(recorded + "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y = bytes.ReplaceAll(y, []byte("http://127.0.0.1:18311"), []byte(upSrv.URL))
	cfg, err := config.Parse(y, "config.yaml", config.WithLookupEnv(func(k string) (string, bool) { return "sk-test-key-123", true }))
	if err != nil {
		t.Fatal(err)
	}
	withTarget, _ := gateway.New(cfg, gateway.WithBreaker(gateway.BreakerSettings{}))
	noTarget, _ := gateway.New(nil)
	deviations := map[string]struct {
		status int
		want   string
	}{
		// berth's gateway answers an upstream 500 with 502 (docs/gateway.md).
		"gwproxy.target.post_upstream_500": {500, `Deployments proxy request failed with error code 502. Error message: {\"detail\":\"provider openai answered 500: The server had an error while processing your request.\"}`},
		// A stream cannot be proxied: MLflow fails with an HTML 500, berth says why.
		"gwproxy.target.post_stream": {400, "The gateway proxy does not stream"},
		// A non-JSON POST: MLflow's Flask answers an HTML 400.
		"gwproxy.target.post_wrong_ct": {400, "takes a JSON body"},
	}
	n := 0
	for _, e := range parseExchanges(t, mustRead(t, "../testdata/conformance/mlflow-promptlab/transcript.jsonl")) {
		if !strings.HasPrefix(e.Step, "gwproxy.") || e.Path != gateway.ProxyPath {
			continue
		}
		n++
		g := withTarget
		if strings.HasPrefix(e.Step, "gwproxy.notarget.") {
			g = noTarget
		}
		h, match := g.Mount()
		u := e.Path
		if e.Query != "" {
			u += "?" + e.Query
		}
		req := httptest.NewRequest(e.Method, u, bytes.NewReader(body(e.RequestBodyKind, e.RequestBody)))
		if ct := e.RequestHeaders["content-type"]; ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if !match(req) {
			t.Fatalf("%s: the mount does not match %s", e.Step, u)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		got, _ := io.ReadAll(w.Body)
		if d, ok := deviations[e.Step]; ok {
			if w.Code != d.status || !strings.Contains(string(got), d.want) {
				t.Errorf("%s: %d %s, want %d with %s", e.Step, w.Code, got, d.status, d.want)
			}
			continue
		}
		want := body(e.ResponseBodyKind, e.ResponseBody)
		a, _ := canonJSON(got)
		b, _ := canonJSON(want)
		if w.Code != e.Status || a != b {
			t.Errorf("%s: %d %s\nMLflow: %d %s", e.Step, w.Code, got, e.Status, want)
		}
	}
	if n < 15 {
		t.Fatalf("only %d gateway-proxy exchanges replayed", n)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/2.0/mlflow/gateway-proxy", nil)
	if _, match := withTarget.Mount(); match(r) {
		t.Error("the proxy answers under /api/2.0 (MLflow: only /ajax-api)")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
