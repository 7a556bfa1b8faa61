package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/server"
	"github.com/berthml/berth/tracking"
)

// call sends one request and returns the status and body.
func call(t *testing.T, base, method, path, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// createRun creates a run in experiment through the API and returns its
// id and artifact URI.
func createRun(t *testing.T, base, experiment string) (id, artifactURI string) {
	t.Helper()
	status, body := call(t, base, "POST", "/api/2.0/mlflow/runs/create", "application/json", `{"experiment_id":"`+experiment+`"}`)
	var created struct {
		Run struct {
			Info struct {
				RunID       string `json:"run_id"`
				ArtifactURI string `json:"artifact_uri"`
			} `json:"info"`
		} `json:"run"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil || status != 200 || created.Run.Info.RunID == "" {
		t.Fatalf("runs/create: %d %s", status, body)
	}
	return created.Run.Info.RunID, created.Run.Info.ArtifactURI
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		ErrorCode string `json:"error_code"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Message == "" {
		t.Fatalf("not MLflow's error JSON: %s", body)
	}
	return e.ErrorCode
}

// TestClientMistakesAre4xx checks that every kind of bad request gets a 4xx
// in MLflow's error JSON, never a 5xx, and that the server keeps serving.
func TestClientMistakesAre4xx(t *testing.T) {
	srv := httptest.NewServer(newServer(t, server.WithBodyLimit(1<<10)).Handler())
	defer srv.Close()
	const js = "application/json"
	run, _ := createRun(t, srv.URL, "0")

	cases := []struct {
		name, method, path, ct, body string
		status                       int
		code                         string
	}{
		{"unknown route", "GET", "/api/2.0/mlflow/nope", "", "", 404, "ENDPOINT_NOT_FOUND"},
		{"unknown root route", "GET", "/nope", "", "", 404, "ENDPOINT_NOT_FOUND"},
		{"wrong method", "GET", "/api/2.0/mlflow/experiments/create", "", "", 405, "BAD_REQUEST"},
		{"runs/search via GET", "GET", "/api/2.0/mlflow/runs/search", "", "", 405, "BAD_REQUEST"},
		{"no content type", "POST", "/api/2.0/mlflow/experiments/create", "", `{"name":"x"}`, 400, "INVALID_PARAMETER_VALUE"},
		{"text/plain", "POST", "/api/2.0/mlflow/experiments/create", "text/plain", `{"name":"x"}`, 400, "INVALID_PARAMETER_VALUE"},
		{"malformed JSON", "POST", "/api/2.0/mlflow/experiments/create", js, `{not json`, 400, "INVALID_PARAMETER_VALUE"},
		{"truncated JSON", "POST", "/api/2.0/mlflow/runs/create", js, `{"experiment_id": "0"`, 400, "INVALID_PARAMETER_VALUE"},
		{"JSON array body", "POST", "/api/2.0/mlflow/experiments/create", js, `[1,2]`, 400, "INVALID_PARAMETER_VALUE"},
		{"JSON scalar body", "POST", "/api/2.0/mlflow/runs/create", js, `"x"`, 400, "INVALID_PARAMETER_VALUE"},
		{"number for a string", "POST", "/api/2.0/mlflow/experiments/create", js, `{"name": 5}`, 400, "INVALID_PARAMETER_VALUE"},
		{"object for a list", "POST", "/api/2.0/mlflow/runs/search", js, `{"experiment_ids": {"a": 1}}`, 400, "INVALID_PARAMETER_VALUE"},
		{"string metric value", "POST", "/api/2.0/mlflow/runs/log-metric", js, `{"run_id":"` + run + `","key":"m","value":"abc","timestamp":1}`, 400, "INVALID_PARAMETER_VALUE"},
		{"bool step", "POST", "/api/2.0/mlflow/runs/log-metric", js, `{"run_id":"` + run + `","key":"m","value":1,"timestamp":1,"step":true}`, 400, "INVALID_PARAMETER_VALUE"},
		{"fractional step", "POST", "/api/2.0/mlflow/runs/log-metric", js, `{"run_id":"` + run + `","key":"m","value":1,"timestamp":1,"step":1.5}`, 400, "INVALID_PARAMETER_VALUE"},
		{"metric without timestamp", "POST", "/api/2.0/mlflow/runs/log-metric", js, `{"run_id":"` + run + `","key":"m","value":1}`, 400, "INVALID_PARAMETER_VALUE"},
		{"negative timestamp", "POST", "/api/2.0/mlflow/runs/log-metric", js, `{"run_id":"` + run + `","key":"m","value":1,"timestamp":-1}`, 400, "INVALID_PARAMETER_VALUE"},
		{"missing run id", "GET", "/api/2.0/mlflow/runs/get", "", "", 400, "INVALID_PARAMETER_VALUE"},
		{"missing run", "GET", "/api/2.0/mlflow/runs/get?run_id=nope", "", "", 404, "RESOURCE_DOES_NOT_EXIST"},
		{"bad max_results type", "GET", "/api/2.0/mlflow/registered-models/search?max_results=abc", "", "", 400, "INVALID_PARAMETER_VALUE"},
		{"max_results too large", "POST", "/api/2.0/mlflow/runs/search", js, `{"max_results": 50001}`, 400, "INVALID_PARAMETER_VALUE"},
		{"negative max_results", "GET", "/api/2.0/mlflow/model-versions/search?max_results=-1", "", "", 400, "INVALID_PARAMETER_VALUE"},
		{"bad filter", "POST", "/api/2.0/mlflow/runs/search", js, `{"filter": "metrics.acc >"}`, 400, "INVALID_PARAMETER_VALUE"},
		{"bad order_by", "POST", "/api/2.0/mlflow/runs/search", js, `{"order_by": ["nope.x DESC"]}`, 400, "INVALID_PARAMETER_VALUE"},
		{"bad view type", "POST", "/api/2.0/mlflow/runs/search", js, `{"run_view_type": "SOME"}`, 400, "INVALID_PARAMETER_VALUE"},
		{"bad page token", "POST", "/api/2.0/mlflow/runs/search", js, `{"page_token": "%%%"}`, 400, "INVALID_PARAMETER_VALUE"},
		{"log-model not JSON", "POST", "/api/2.0/mlflow/runs/log-model", js, `{"run_id":"` + run + `","model_json":"{"}`, 400, "INVALID_PARAMETER_VALUE"},
		{"body too large", "POST", "/api/2.0/mlflow/experiments/create", js, `{"name":"` + strings.Repeat("x", 2<<10) + `"}`, 413, "REQUEST_LIMIT_EXCEEDED"},
		{"artifact traversal", "PUT", "/api/2.0/mlflow-artifacts/artifacts/1/%2E%2E/%2E%2E/evil.txt", "text/plain", "evil", 400, "INVALID_PARAMETER_VALUE"},
		{"artifact encoded slash", "PUT", "/api/2.0/mlflow-artifacts/artifacts/1%2F..%2F..%2Fevil.txt", "text/plain", "evil", 400, "INVALID_PARAMETER_VALUE"},
		{"artifact list traversal", "GET", "/api/2.0/mlflow-artifacts/artifacts?path=..%2F", "", "", 400, "INVALID_PARAMETER_VALUE"},
		{"artifact list absolute", "GET", "/api/2.0/mlflow-artifacts/artifacts?path=%2Fetc", "", "", 400, "INVALID_PARAMETER_VALUE"},
		{"artifact missing", "GET", "/api/2.0/mlflow-artifacts/artifacts/0/nope.txt", "", "", 404, "RESOURCE_DOES_NOT_EXIST"},
		{"artifact no path", "PUT", "/api/2.0/mlflow-artifacts/artifacts/", "text/plain", "x", 400, "INVALID_PARAMETER_VALUE"},
		{"run artifacts traversal", "GET", "/api/2.0/mlflow/artifacts/list?run_id=" + run + "&path=../..", "", "", 400, "INVALID_PARAMETER_VALUE"},
		{"model version not a number", "GET", "/api/2.0/mlflow/model-versions/get?name=m&version=abc", "", "", 400, "INVALID_PARAMETER_VALUE"},
		{"reserved alias", "POST", "/api/2.0/mlflow/registered-models/alias", js, `{"name":"m","alias":"latest","version":"1"}`, 400, "INVALID_PARAMETER_VALUE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := call(t, srv.URL, c.method, c.path, c.ct, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			if code := errorCode(t, body); code != c.code {
				t.Errorf("error_code %s, want %s: %s", code, c.code, body)
			}
		})
	}
	if status, body := call(t, srv.URL, "GET", "/health", "", ""); status != 200 || body != "OK" {
		t.Errorf("after the bad requests, /health = %d %q", status, body)
	}
}

// panicStore panics in every method: each call hits a nil interface.
type panicStore struct{ tracking.Store }

// failingStore fails every experiment lookup with an internal error that
// must not reach the client.
type failingStore struct{ tracking.Store }

func (failingStore) GetExperiment(context.Context, string) (*tracking.Experiment, error) {
	return nil, errors.New("disk on fire at /secret/berth.db")
}

func TestServerFailuresAre5xxJSON(t *testing.T) {
	arts, err := server.NewLocalArtifacts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		store tracking.Store
	}{{"panic", panicStore{}}, {"internal error", failingStore{}}} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(server.New(c.store, arts).Handler())
			defer srv.Close()
			status, body := call(t, srv.URL, "GET", "/api/2.0/mlflow/experiments/get?experiment_id=1", "", "")
			if status != 500 || errorCode(t, body) != "INTERNAL_ERROR" {
				t.Errorf("got %d %s, want 500 INTERNAL_ERROR", status, body)
			}
			if strings.Contains(body, "/secret") {
				t.Errorf("the answer leaks the server's internals: %s", body)
			}
			if status, _ := call(t, srv.URL, "GET", "/health", "", ""); status != 200 {
				t.Errorf("the server stopped answering: /health = %d", status)
			}
		})
	}
}

// TestArtifactRoutes logs artifacts the way the MLflow client does and reads
// them back through every route that serves them.
func TestArtifactRoutes(t *testing.T) {
	srv := httptest.NewServer(newServer(t).Handler())
	defer srv.Close()
	run, uri := createRun(t, srv.URL, "0")
	if want := "mlflow-artifacts:/0/" + run + "/artifacts"; uri != want {
		t.Fatalf("artifact_uri = %q, want %q", uri, want)
	}
	base := "/api/2.0/mlflow-artifacts/artifacts/0/" + run + "/artifacts/"
	for p, content := range map[string]string{"model/MLmodel": "flavors: {}\n", "model/model.onnx": "\x08\x07", "notes.txt": "hi"} {
		if status, body := call(t, srv.URL, "PUT", base+p, "application/octet-stream", content); status != 200 || body != "{}" {
			t.Fatalf("PUT %s = %d %s", p, status, body)
		}
	}
	checks := []struct{ name, method, path, want string }{
		{"download", "GET", base + "model/model.onnx", "\x08\x07"},
		{"download via ajax-api", "GET", "/ajax-api/2.0/mlflow-artifacts/artifacts/0/" + run + "/artifacts/notes.txt", "hi"},
		{"proxy list", "GET", "/api/2.0/mlflow-artifacts/artifacts?path=0%2F" + run + "%2Fartifacts%2Fmodel",
			`{"files":[{"path":"MLmodel","is_dir":false,"file_size":12},{"path":"model.onnx","is_dir":false,"file_size":2}]}`},
		{"proxy list of a file", "GET", "/api/2.0/mlflow-artifacts/artifacts?path=0%2F" + run + "%2Fartifacts%2Fnotes.txt", `{}`},
		{"proxy list of a missing dir", "GET", "/api/2.0/mlflow-artifacts/artifacts?path=0%2Fnope", `{}`},
		{"run list", "GET", "/api/2.0/mlflow/artifacts/list?run_id=" + run,
			`{"root_uri":"` + uri + `","files":[{"path":"model","is_dir":true},{"path":"notes.txt","is_dir":false,"file_size":2}]}`},
		{"run list of a dir", "GET", "/api/2.0/mlflow/artifacts/list?run_id=" + run + "&path=model",
			`{"root_uri":"` + uri + `","files":[{"path":"model/MLmodel","is_dir":false,"file_size":12},{"path":"model/model.onnx","is_dir":false,"file_size":2}]}`},
		{"UI get-artifact", "GET", "/get-artifact?path=model/MLmodel&run_uuid=" + run, "flavors: {}\n"},
		{"delete", "DELETE", base + "notes.txt", "{}"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			status, body := call(t, srv.URL, c.method, c.path, "", "")
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			if strings.HasPrefix(c.want, "{") {
				var g, w any
				_ = json.Unmarshal([]byte(body), &g)
				_ = json.Unmarshal([]byte(c.want), &w)
				gb, _ := json.Marshal(g)
				wb, _ := json.Marshal(w)
				if string(gb) != string(wb) {
					t.Errorf("got %s, want %s", gb, wb)
				}
				return
			}
			if body != c.want {
				t.Errorf("got %q, want %q", body, c.want)
			}
		})
	}
	if status, _ := call(t, srv.URL, "GET", base+"notes.txt", "", ""); status != 404 {
		t.Errorf("GET after DELETE = %d, want 404", status)
	}
}

// TestArtifactURIsStayInside checks that artifact locations a client chose
// cannot lead the server's artifact routes out of the artifact root.
func TestArtifactURIsStayInside(t *testing.T) {
	srv := httptest.NewServer(newServer(t).Handler())
	defer srv.Close()
	const js = "application/json"
	for _, loc := range []string{"mlflow-artifacts:/../../etc", "file:///etc", "/etc"} {
		t.Run(loc, func(t *testing.T) {
			status, body := call(t, srv.URL, "POST", "/api/2.0/mlflow/experiments/create", js,
				`{"name": "`+loc+`", "artifact_location": "`+loc+`"}`)
			if status != 200 {
				// Refusing the location when the experiment is created
				// keeps artifacts inside too, as long as it is a 400.
				if status != 400 || errorCode(t, body) != "INVALID_PARAMETER_VALUE" {
					t.Fatalf("create with artifact_location %s = %d %s, want 200 or 400 INVALID_PARAMETER_VALUE", loc, status, body)
				}
				return
			}
			var e struct {
				ExperimentID string `json:"experiment_id"`
			}
			_ = json.Unmarshal([]byte(body), &e)
			runID, _ := createRun(t, srv.URL, e.ExperimentID)
			for _, p := range []string{"/get-artifact?path=passwd&run_uuid=" + runID,
				"/api/2.0/mlflow/artifacts/list?run_id=" + runID} {
				status, body := call(t, srv.URL, "GET", p, "", "")
				if status != 400 || errorCode(t, body) != "INVALID_PARAMETER_VALUE" {
					t.Errorf("GET %s = %d %s, want 400 INVALID_PARAMETER_VALUE", p, status, body)
				}
			}
		})
	}
}

// TestServeShutsDownGracefully serves on a real listener and stops when the
// context is cancelled.
func TestServeShutsDownGracefully(t *testing.T) {
	s := newServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	status, body := call(t, url, "POST", "/api/2.0/mlflow/experiments/create", "application/json", `{"name":"e"}`)
	if status != 200 || !strings.Contains(body, `"experiment_id": "1"`) {
		t.Fatalf("experiments/create = %d %s", status, body)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Serve = %v, want nil after a graceful shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the context was cancelled")
	}
}
