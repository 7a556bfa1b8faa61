package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/berthml/berth/internal/httpguard"
	"github.com/berthml/berth/internal/httpguard/guardtest"
	"github.com/berthml/berth/server"
)

// TestBodyDeadline checks over a real listener that a body that does not
// arrive in time is answered 408 with MLflow's error JSON and counted.
func TestBodyDeadline(t *testing.T) {
	reg := prometheus.NewRegistry()
	ts := httptest.NewServer(newServer(t, server.WithBodyTimeout(300*time.Millisecond), server.WithMetrics(reg, reg)).Handler())
	defer ts.Close()
	addr := ts.Listener.Addr().String()
	const create = "POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
	const upload = "PUT /api/2.0/mlflow-artifacts/artifacts/0/x.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	heads := []string{create, create, upload} // an upload trickles
	for i, st := range guardtest.Stalls {
		t.Run(st.Name, func(t *testing.T) {
			resp, body, took := guardtest.Send(t, addr, heads[i], st)
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("status %d, want 408; body %s", resp.StatusCode, body)
			}
			if code := errorCode(t, string(body)); code != "DEADLINE_EXCEEDED" {
				t.Errorf("error_code %s, want DEADLINE_EXCEEDED", code)
			}
			if took > 2*time.Second {
				t.Errorf("answered after %s, want about 300ms", took)
			}
			want := fmt.Sprintf(`
# HELP berth_http_request_body_timeouts_total Requests answered 408 because their body did not arrive within --body-timeout.
# TYPE berth_http_request_body_timeouts_total counter
berth_http_request_body_timeouts_total %d
`, i+1)
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "berth_http_request_body_timeouts_total"); err != nil {
				t.Error(err)
			}
		})
	}
	// A body sent at once is not cut off, and the server still answers.
	if status, body := call(t, ts.URL, "POST", "/api/2.0/mlflow/experiments/create", "application/json", `{"name":"after"}`); status != 200 {
		t.Errorf("a prompt request after the cut-offs = %d %s", status, body)
	}
}

// TestAllowedHosts checks the Host allowlist: loopback names pass, another
// name (a DNS-rebinding page's) is refused with MLflow 3's text, and the
// health check and version answer whatever the Host.
func TestAllowedHosts(t *testing.T) {
	ts := httptest.NewServer(newServer(t, server.WithAllowedHosts(httpguard.DefaultAllowedHosts("127.0.0.1"))).Handler())
	defer ts.Close()
	cases := []struct {
		host, path string
		want       int
	}{
		{"localhost:5000", "/api/2.0/mlflow/experiments/get?experiment_id=0", 200},
		{ts.Listener.Addr().String(), "/api/2.0/mlflow/experiments/get?experiment_id=0", 200},
		{"[::1]:5000", "/api/2.0/mlflow/experiments/get?experiment_id=0", 200},
		{"evil.example:5000", "/api/2.0/mlflow/experiments/get?experiment_id=0", 403},
		{"evil.example", "/api/2.0/mlflow/experiments/create", 403},
		{"evil.example", "/health", 200},
		{"evil.example", "/version", 200},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("GET", ts.URL+c.path, nil)
		req.Host = c.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("Host %s GET %s = %d %s, want %d", c.host, c.path, resp.StatusCode, b, c.want)
		}
		if c.want == 403 && string(b) != httpguard.InvalidHostMessage {
			t.Errorf("403 body %q, want %q", b, httpguard.InvalidHostMessage)
		}
	}
}

// TestBearerSchemeCaseInsensitive checks RFC 9110's case-insensitive
// scheme: "bearer" and "BEARER" work as "Bearer" does.
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	ts := httptest.NewServer(newServer(t, server.WithTokens([]string{"reader"}, nil)).Handler())
	defer ts.Close()
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		req, _ := http.NewRequest("GET", ts.URL+"/api/2.0/mlflow/experiments/get?experiment_id=0", nil)
		req.Header.Set("Authorization", scheme+" reader")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("Authorization: %s reader = %d, want 200", scheme, resp.StatusCode)
		}
	}
}

// TestHeadOnGetRoutes: every GET route answers HEAD with the GET's status
// and headers and no body, as MLflow's Flask routes do, with the GET's
// access class (open for /health, a read token for the API).
func TestHeadOnGetRoutes(t *testing.T) {
	ts := httptest.NewServer(newServer(t, server.WithTokens([]string{"r"}, []string{"w"})).Handler())
	defer ts.Close()
	head := func(path, token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodHead, ts.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		path, token string
		status      int
	}{
		{"/health", "", 200},
		{"/version", "", 200},
		{"/api/2.0/mlflow/experiments/get?experiment_id=0", "", 401},
		{"/api/2.0/mlflow/experiments/get?experiment_id=0", "r", 200},
		{"/api/2.0/mlflow/experiments/get?experiment_id=12345", "r", 404},
		{"/api/2.0/mlflow/runs/create", "w", 405},
	} {
		if resp := head(tc.path, tc.token); resp.StatusCode != tc.status {
			t.Errorf("HEAD %s (token %q): %d, want %d", tc.path, tc.token, resp.StatusCode, tc.status)
		}
	}
}
