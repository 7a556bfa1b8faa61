package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/berthml/berth/server"
	"github.com/berthml/berth/server/servertest"
	"github.com/berthml/berth/ui"
)

// fetch sends a GET with an optional bearer token and returns the status,
// content type and body.
func fetch(t *testing.T, url, token string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// uiCase is one GET and what it should answer.
type uiCase struct {
	path, token string
	status      int
	contentType string
	contains    string
}

// TestUIRoutes checks that the UI answers at / and /static/ beside the API,
// health, version and metrics routes, and that its files need no token.
func TestUIRoutes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		token string // what the API needs; "" for an open server
		opts  []server.Option
	}{
		{"open", "", nil},
		{"tokens", "w", []server.Option{server.WithTokens([]string{"r"}, []string{"w"})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := servertest.New(t, append(tc.opts, server.WithUI(ui.Handler()))...)
			tests := []uiCase{
				{"/", "", 200, "text/html; charset=utf-8", "<title>berth</title>"},
				{"/static/app.js", "", 200, "text/javascript; charset=utf-8", "import"},
				{"/static/vendor/uPlot.iife.min.js", "", 200, "text/javascript; charset=utf-8", "uPlot"},
				{"/static/missing.js", "", 404, "text/plain; charset=utf-8", "404"},
				{"/static/../go.mod", "", 404, "text/plain; charset=utf-8", "404"},
				{"/health", "", 200, "text/plain; charset=utf-8", "OK"},
				{"/version", "", 200, "text/plain; charset=utf-8", server.DefaultVersion},
				{"/api/2.0/mlflow/experiments/search?max_results=10", tc.token, 200, "application/json", `"experiments"`},
				{"/ajax-api/2.0/mlflow/registered-models/search", tc.token, 200, "application/json", "{"},
				{"/api/2.0/mlflow/nope", tc.token, 404, "application/json", "ENDPOINT_NOT_FOUND"},
				{"/nope", tc.token, 404, "application/json", "No API endpoint"},
			}
			if tc.token != "" {
				tests = append(tests, uiCase{"/api/2.0/mlflow/experiments/search", "", 401, "application/json", "UNAUTHENTICATED"})
			}
			for _, tt := range tests {
				status, ct, body := fetch(t, ts.URL+tt.path, tt.token)
				if status != tt.status || ct != tt.contentType || !strings.Contains(body, tt.contains) {
					t.Errorf("GET %s: %d %q %.80q, want %d %q containing %q", tt.path, status, ct, body, tt.status, tt.contentType, tt.contains)
				}
			}
		})
	}
}

// TestNoUIByDefault checks that a server without WithUI answers / as an
// unknown API route, as before.
func TestNoUIByDefault(t *testing.T) {
	ts := servertest.New(t)
	for _, p := range []string{"/", "/static/app.js"} {
		status, ct, _ := fetch(t, ts.URL+p, "")
		if status != http.StatusNotFound || ct != "application/json" {
			t.Errorf("GET %s: %d %q, want 404 application/json", p, status, ct)
		}
	}
}
