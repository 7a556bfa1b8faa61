package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestUploadRunArtifact covers MLflow's UI route POST
// /ajax-api/2.0/mlflow/upload-artifact: the file lands in the run's
// artifacts (read back through get-artifact), and every mistake of the
// client is a 4xx naming it.
func TestUploadRunArtifact(t *testing.T) {
	srv := httptest.NewServer(newServer(t).Handler())
	defer srv.Close()
	runID, _ := createRun(t, srv.URL, "0")
	const route = "/ajax-api/2.0/mlflow/upload-artifact"
	table := `{"columns": ["a", "prompt", "output"], "data": [["1", "p", "o"]]}`

	status, body := call(t, srv.URL, "POST", route+"?run_uuid="+runID+"&path=eval_results_table.json", "application/json", table)
	if status != 200 || body != "{}" {
		t.Fatalf("upload: %d %s", status, body)
	}
	status, body = call(t, srv.URL, "GET", "/get-artifact?run_uuid="+runID+"&path=eval_results_table.json", "", "")
	if status != 200 || body != table {
		t.Fatalf("read back: %d %q, want %q", status, body, table)
	}
	// A second upload replaces the file (the page saves the table again).
	if status, body = call(t, srv.URL, "POST", route+"?run_uuid="+runID+"&path=eval_results_table.json", "application/json", "{}"); status != 200 {
		t.Fatalf("second upload: %d %s", status, body)
	}
	if _, body = call(t, srv.URL, "GET", "/get-artifact?run_uuid="+runID+"&path=eval_results_table.json", "", ""); body != "{}" {
		t.Fatalf("after the second upload the file holds %q", body)
	}

	for _, tt := range []struct {
		name, query, body string
		status            int
		msg               string
	}{
		{"no run", "?path=x.json", "{}", 400, "Request must specify run_uuid."},
		{"no path", "?run_uuid=" + runID, "{}", 400, "Request must specify path."},
		{"escaping path", "?run_uuid=" + runID + "&path=../../x.json", "{}", 400, "Invalid path"},
		{"encoded dots", "?run_uuid=" + runID + "&path=%252e%252e/x.json", "{}", 400, "Invalid path"},
		{"root", "?run_uuid=" + runID + "&path=.", "{}", 400, "Invalid path"},
		{"no data", "?run_uuid=" + runID + "&path=x.json", "", 400, "Request must specify data."},
		{"too large", "?run_uuid=" + runID + "&path=x.json", strings.Repeat("x", 10*1024*1024+1), 400, "Max size is 10MB"},
		{"unknown run", "?run_uuid=0123456789abcdef0123456789abcdef&path=x.json", "{}", 404, "RESOURCE_DOES_NOT_EXIST"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, srv.URL, "POST", route+tt.query, "text/plain", tt.body)
			if status != tt.status || !strings.Contains(body, tt.msg) {
				t.Errorf("%d %s, want %d with %q", status, body, tt.status, tt.msg)
			}
		})
	}
	if status, _ := call(t, srv.URL, "POST", "/api/2.0/mlflow/upload-artifact?run_uuid="+runID+"&path=x.json", "text/plain", "x"); status != 404 {
		t.Errorf("under /api/2.0: %d, want 404 (MLflow has the route under /ajax-api only)", status)
	}
}

// FuzzUploadRunArtifact sends upload-artifact any path and body: never a
// 5xx, and a file accepted is read back byte for byte.
func FuzzUploadRunArtifact(f *testing.F) {
	srv := httptest.NewServer(newServer(f).Handler())
	f.Cleanup(srv.Close)
	runID := createRunTB(f, srv.URL)
	for _, seed := range []struct{ path, body string }{
		{"eval_results_table.json", `{"columns": [], "data": []}`}, {"a/b/c.txt", "x"}, {"../x", "x"}, {"/abs", "x"},
		{"%2e%2e/x", "x"}, {"a\\b", "x"}, {"a\x00b", "x"}, {".", "x"}, {"x", ""}, {"a//b/./c", "y"},
	} {
		f.Add(seed.path, seed.body)
	}
	f.Fuzz(func(t *testing.T, p, body string) {
		q := url.Values{"run_uuid": {runID}, "path": {p}}
		req, _ := http.NewRequest("POST", srv.URL+"/ajax-api/2.0/mlflow/upload-artifact?"+q.Encode(), strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("path %q: %d %s", p, resp.StatusCode, b)
		}
		if resp.StatusCode != 200 {
			return
		}
		get := url.Values{"run_uuid": {runID}, "path": {p}}
		status, got := getURL(t, srv.URL+"/get-artifact?"+get.Encode())
		if status != 200 || got != body {
			t.Fatalf("path %q: uploaded %q, read back %d %q", p, body, status, got)
		}
	})
}

func createRunTB(tb testing.TB, base string) string {
	tb.Helper()
	resp, err := http.Post(base+"/api/2.0/mlflow/runs/create", "application/json", strings.NewReader(`{"experiment_id":"0"}`))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Run.Info.RunID == "" {
		tb.Fatalf("creating a run: %v", err)
	}
	return r.Run.Info.RunID
}

func getURL(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
