package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/server"
)

// TestMultipartUploadNotImplemented checks that the multipart-upload
// routes answer as MLflow 2.17.2 does for a store without multipart (501
// NOT_IMPLEMENTED and its message), on which MLflow's client falls back to
// a single PUT.
func TestMultipartUploadNotImplemented(t *testing.T) {
	ts := httptest.NewServer(newServer(t).Handler())
	defer ts.Close()
	for _, p := range []string{"/api/2.0", "/ajax-api/2.0"} {
		for _, op := range []string{"create", "complete", "abort"} {
			status, body := call(t, ts.URL, "POST", p+"/mlflow-artifacts/mpu/"+op+"/1/abc/artifacts/model.bin", "application/json",
				`{"path": "model.bin", "num_parts": 3}`)
			var e struct{ ErrorCode, Message string }
			_ = json.Unmarshal([]byte(body), &struct {
				ErrorCode *string `json:"error_code"`
				Message   *string `json:"message"`
			}{&e.ErrorCode, &e.Message})
			if status != 501 || e.ErrorCode != "NOT_IMPLEMENTED" ||
				e.Message != "Multipart upload is not supported for the current artifact repository" {
				t.Errorf("POST %s mpu/%s = %d %s, want MLflow's 501 NOT_IMPLEMENTED", p, op, status, body)
			}
		}
	}
	if status, body := call(t, ts.URL, "POST", "/api/2.0/mlflow-artifacts/mpu/create/../x", "application/json", `{}`); status/100 != 4 {
		t.Errorf("mpu/create on an escaping path = %d %s, want 4xx", status, body)
	}
}

// TestArtifactDownloadHeaders checks nosniff on every download and
// "attachment" for the types a browser would render or run.
func TestArtifactDownloadHeaders(t *testing.T) {
	ts := httptest.NewServer(newServer(t).Handler())
	defer ts.Close()
	cases := []struct {
		name       string
		attachment bool
	}{
		{"page.html", true}, {"page.HTM", true}, {"image.svg", true}, {"feed.xml", true}, {"app.js", true},
		{"MLmodel", false}, {"model.onnx", false}, {"metrics.json", false}, {"notes.txt", false},
	}
	for _, c := range cases {
		if status, body := call(t, ts.URL, "PUT", "/api/2.0/mlflow-artifacts/artifacts/0/r/"+c.name, "", "<script>alert(1)</script>"); status != 200 {
			t.Fatalf("PUT %s = %d %s", c.name, status, body)
		}
		for _, u := range []string{"/api/2.0/mlflow-artifacts/artifacts/0/r/" + c.name, "/ajax-api/2.0/mlflow-artifacts/artifacts/0/r/" + c.name} {
			resp, err := http.Get(ts.URL + u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("GET %s = %d, X-Content-Type-Options %q", u, resp.StatusCode, resp.Header.Get("X-Content-Type-Options"))
			}
			cd := resp.Header.Get("Content-Disposition")
			if got := strings.HasPrefix(cd, "attachment"); got != c.attachment {
				t.Errorf("GET %s: Content-Disposition %q, attachment want %v", u, cd, c.attachment)
			}
			if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "html") || strings.Contains(ct, "svg") || strings.Contains(ct, "javascript") {
				t.Errorf("GET %s: Content-Type %q is one a browser runs", u, ct)
			}
		}
	}
}

// TestArtifactSizeLimit checks that an upload over the limit is answered
// 413 with MLflow's error JSON, whether it announces its length or not,
// and leaves nothing behind.
func TestArtifactSizeLimit(t *testing.T) {
	dir := t.TempDir()
	arts, err := server.NewLocalArtifacts(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(openSQLite(t), arts, server.WithArtifactLimit(1000)).Handler())
	defer ts.Close()
	put := func(name string, n int, chunked bool) (int, string) {
		var body io.Reader = strings.NewReader(strings.Repeat("x", n))
		if chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
		req, _ := http.NewRequest("PUT", ts.URL+"/api/2.0/mlflow-artifacts/artifacts/0/r/"+name, body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := put("small", 1000, false); status != 200 {
		t.Fatalf("a 1000-byte upload = %d %s", status, body)
	}
	for _, chunked := range []bool{false, true} {
		status, body := put("big", 1001, chunked)
		if status != 413 || errorCode(t, body) != "REQUEST_LIMIT_EXCEEDED" {
			t.Errorf("a 1001-byte upload (chunked %v) = %d %s, want 413 REQUEST_LIMIT_EXCEEDED", chunked, status, body)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "0", "r"))
	if len(entries) != 1 || entries[0].Name() != "small" {
		t.Errorf("artifact directory holds %v, want only small", entries)
	}
}

// TestArtifactPathMistakesAre4xx checks the file system's refusals: a path
// below a file, a PUT onto a directory, a name over 255 bytes.
func TestArtifactPathMistakesAre4xx(t *testing.T) {
	ts := httptest.NewServer(newServer(t).Handler())
	defer ts.Close()
	const a = "/api/2.0/mlflow-artifacts/artifacts/"
	for _, p := range []string{"0/r/file.txt", "0/r/dir/inner.txt"} {
		if status, body := call(t, ts.URL, "PUT", a+p, "", "x"); status != 200 {
			t.Fatalf("PUT %s = %d %s", p, status, body)
		}
	}
	long := strings.Repeat("n", 300)
	cases := []struct {
		method, path string
		want         int
	}{
		{"PUT", a + "0/r/file.txt/below", 400},
		{"PUT", a + "0/r/file.txt/below/deeper", 400},
		{"GET", a + "0/r/file.txt/below", 404},
		{"DELETE", a + "0/r/file.txt/below", 404},
		{"GET", "/api/2.0/mlflow-artifacts/artifacts?path=0/r/file.txt/below", 200},
		{"PUT", a + "0/r/dir", 400},
		{"GET", a + "0/r/dir", 404},
		{"PUT", a + "0/r/" + long, 400},
		{"GET", a + "0/r/" + long, 400},
		{"DELETE", a + "0/r/" + long, 400},
		{"GET", "/api/2.0/mlflow-artifacts/artifacts?path=0/" + long, 400},
		{"PUT", a + strings.Repeat("d/", 2000) + "x", 400},
	}
	for _, c := range cases {
		status, body := call(t, ts.URL, c.method, c.path, "", "x")
		if status != c.want {
			t.Errorf("%s %.80s = %d %s, want %d", c.method, c.path, status, body, c.want)
		}
	}
	if status, _ := call(t, ts.URL, "GET", a+"0/r/dir/inner.txt", "", ""); status != 200 {
		t.Errorf("the directory's file is gone after the refused PUT: %d", status)
	}
}
