package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/server"
)

// TestEveryRouteByAccessClass sends each route the server has, as listed
// by Routes, with no token, a read token and a write token, and checks the
// answer against the route's class: open routes let all in, read routes
// want a token, write routes a write token. Read-only searches sent as
// POST (runs/search, experiments/search, get-latest-versions) are read
// routes, so a read-only user can use the UI and mlflow.search_runs.
func TestEveryRouteByAccessClass(t *testing.T) {
	for _, metricsOpen := range []bool{false, true} {
		t.Run(fmt.Sprintf("metrics-open=%v", metricsOpen), func(t *testing.T) {
			reg := prometheus.NewRegistry()
			opts := []server.Option{server.WithTokens([]string{"reader"}, []string{"writer"}),
				server.WithMetrics(reg, reg), server.WithUI(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ui") }))}
			if metricsOpen {
				opts = append(opts, server.WithOpenMetrics())
			}
			srv := newServer(t, opts...)
			ts := httptest.NewServer(srv.Handler())
			defer ts.Close()
			routes := srv.Routes()
			if len(routes) < 100 {
				t.Fatalf("only %d routes listed", len(routes))
			}
			for _, r := range routes {
				if r.Path == "/metrics" {
					want := server.Read
					if metricsOpen {
						want = server.Open
					}
					if r.Access != want {
						t.Errorf("/metrics is %s, want %s", r.Access, want)
					}
				}
				path := strings.Replace(r.Path, "*path", "0/x.txt", 1)
				for _, token := range []string{"", "reader", "writer"} {
					status := send(t, ts.URL, r.Method, path, token)
					denied := status == 401 || status == 403
					var want string
					switch {
					case r.Access == server.Open && denied:
						want = "an open route's answer"
					case r.Access != server.Open && token == "" && status != 401:
						want = "401"
					case r.Access == server.Read && token != "" && denied:
						want = "a read route's answer to a token"
					case r.Access == server.Write && token == "reader" && status != 403:
						want = "403"
					case r.Access == server.Write && token == "writer" && denied:
						want = "a write route's answer to a write token"
					}
					if want != "" {
						t.Errorf("%s %s (%s) with token %q = %d, want %s", r.Method, r.Path, r.Access, token, status, want)
					}
				}
			}
			reads := map[string]bool{}
			for _, r := range routes {
				if r.Method == "POST" && r.Access == server.Read {
					reads[r.Path] = true
				}
			}
			for _, p := range []string{"/api/2.0/mlflow/runs/search", "/ajax-api/2.0/mlflow/runs/search",
				"/api/2.0/mlflow/experiments/search", "/ajax-api/2.0/mlflow/experiments/search",
				"/api/2.0/mlflow/registered-models/get-latest-versions", "/ajax-api/2.0/mlflow/registered-models/get-latest-versions"} {
				if !reads[p] {
					t.Errorf("POST %s is not a read route", p)
				}
			}
		})
	}
}

func send(t *testing.T, base, method, path, token string) int {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
