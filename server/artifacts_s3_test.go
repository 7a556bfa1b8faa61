package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/blob/s3"
	"github.com/berthml/berth/internal/s3test"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/server"
	"github.com/berthml/berth/tracking/sqlstore"
)

// TestArtifactsOnS3 runs the artifact routes on a real S3-compatible
// server (SeaweedFS): the proxy, the UI's downloads, models:/ downloads,
// MLflow's multipart upload of a 1 GiB file, and --no-serve-artifacts.
func TestArtifactsOnS3(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "berth-artifacts")
	openS3 := func(t *testing.T, prefix string) *s3.Store {
		st, err := s3.Open(context.Background(), "s3://"+bucket+"/"+prefix, s3.WithEndpoint(srv.Endpoint),
			s3.WithStaticCredentials(s3test.AccessKey, s3test.SecretKey), s3.WithRegion("us-east-1"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	t.Run("Proxy", func(t *testing.T) {
		ts := httptest.NewServer(server.New(openSQLite(t), openS3(t, "proxy")).Handler())
		defer ts.Close()
		testProxyOnS3(t, ts.URL)
	})
	t.Run("ModelsURI", func(t *testing.T) {
		ts := httptest.NewServer(server.New(openSQLite(t), openS3(t, "models")).Handler())
		defer ts.Close()
		testModelsURIOnS3(t, ts.URL)
	})
	t.Run("StreamedUpload", func(t *testing.T) {
		ts := httptest.NewServer(server.New(openSQLite(t), openS3(t, "stream")).Handler())
		defer ts.Close()
		testStreamedProxyUpload(t, ts.URL)
	})
	t.Run("Multipart1GiB", func(t *testing.T) {
		ts := httptest.NewServer(server.New(openSQLite(t), openS3(t, "mpu")).Handler())
		defer ts.Close()
		testMultipartUpload(t, ts.URL, 1<<30)
	})
	t.Run("MultipartMistakes", func(t *testing.T) {
		ts := httptest.NewServer(server.New(openSQLite(t), openS3(t, "mpu-mistakes")).Handler())
		defer ts.Close()
		testMultipartMistakes(t, ts.URL)
	})
	t.Run("NoServeArtifacts", func(t *testing.T) {
		st := openS3(t, "direct")
		db, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "b.db"), st.URI())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ts := httptest.NewServer(server.New(db, st, server.WithoutArtifactServing()).Handler())
		defer ts.Close()
		testNoServeArtifacts(t, ts.URL, st)
	})
}

func testProxyOnS3(t *testing.T, base string) {
	runID, uri := createRun(t, base, "0")
	if !strings.HasPrefix(uri, "mlflow-artifacts:/0/"+runID+"/artifacts") {
		t.Fatalf("artifact URI %q", uri)
	}
	root := "/api/2.0/mlflow-artifacts/artifacts/0/" + runID + "/artifacts"
	for p, body := range map[string]string{"/model/MLmodel": "flavors: {}\n", "/notes.txt": "hello"} {
		if status, b := call(t, base, "PUT", root+p, "", body); status != 200 {
			t.Fatalf("PUT %s = %d %s", p, status, b)
		}
	}
	if status, b := call(t, base, "GET", root+"/notes.txt", "", ""); status != 200 || b != "hello" {
		t.Errorf("GET notes.txt = %d %q", status, b)
	}
	if status, b := call(t, base, "GET", root+"/nope.txt", "", ""); status != 404 || !strings.Contains(b, "RESOURCE_DOES_NOT_EXIST") {
		t.Errorf("GET missing = %d %s, want 404", status, b)
	}
	status, b := call(t, base, "GET", "/api/2.0/mlflow/artifacts/list?run_id="+runID, "", "")
	if status != 200 || !strings.Contains(b, `"path": "model"`) || !strings.Contains(b, `"path": "notes.txt"`) || !strings.Contains(b, `"file_size": 5`) {
		t.Errorf("list run artifacts = %d %s", status, b)
	}
	status, b = call(t, base, "GET", "/api/2.0/mlflow-artifacts/artifacts?path=0/"+runID+"/artifacts/model", "", "")
	if status != 200 || !strings.Contains(b, `"path": "MLmodel"`) {
		t.Errorf("list proxied = %d %s", status, b)
	}
	if status, b := call(t, base, "GET", "/get-artifact?run_uuid="+runID+"&path=model/MLmodel", "", ""); status != 200 || b != "flavors: {}\n" {
		t.Errorf("UI get-artifact = %d %q", status, b)
	}
	if status, b := call(t, base, "DELETE", root+"/model", "", ""); status != 200 {
		t.Errorf("DELETE model = %d %s", status, b)
	}
	if status, _ := call(t, base, "GET", root+"/model/MLmodel", "", ""); status != 404 {
		t.Errorf("GET after DELETE = %d, want 404", status)
	}
	if status, b := call(t, base, "PUT", "/api/2.0/mlflow-artifacts/artifacts/0/..%2F..%2Fx", "", "x"); status/100 != 4 {
		t.Errorf("PUT escaping = %d %s, want 4xx", status, b)
	}
}

// testModelsURIOnS3 registers a model through the proxy (as berth's
// write-back and MLflow's log_model do) and downloads it by models:/.
func testModelsURIOnS3(t *testing.T, base string) {
	ctx := context.Background()
	src := "../testdata/models/iris_logreg"
	mv, err := modeluri.Register(ctx, &mlflowrest.Client{BaseURL: base}, modeluri.Registration{Dir: src, Name: "iris"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := modeluri.NewResolver(base, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got, err := modeluri.Fetch(ctx, r, "models:/iris/"+mv.Version)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		want, _ := os.ReadFile(filepath.Join(src, e.Name()))
		have, err := os.ReadFile(filepath.Join(got.Dir, e.Name()))
		if err != nil || !bytes.Equal(have, want) {
			t.Errorf("models:/iris/%s: %s differs from the registered file (%v)", mv.Version, e.Name(), err)
		}
	}
}

func sha(r io.Reader) ([]byte, int64) {
	h := sha256.New()
	n, _ := io.Copy(h, r)
	return h.Sum(nil), n
}

// testStreamedProxyUpload PUTs 512 MiB through the proxy into the bucket
// and reads it back, with the heap growing by a bounded amount.
func testStreamedProxyUpload(t *testing.T, base string) {
	const size = 512 << 20
	const bound = 128 << 20
	want, _ := sha(&s3test.Pattern{N: size})
	url := base + "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/big.bin"
	stop := s3test.PeakHeap()
	req, _ := http.NewRequest("PUT", url, &s3test.Pattern{N: size})
	req.ContentLength = size
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if grew := stop(); grew > bound {
		t.Errorf("the heap grew by %d MiB during a %d MiB upload, want under %d MiB", grew>>20, size>>20, bound>>20)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("PUT = %s %s", resp.Status, b)
	}
	stop = s3test.PeakHeap()
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	got, n := sha(resp.Body)
	resp.Body.Close()
	if grew := stop(); grew > bound {
		t.Errorf("the heap grew by %d MiB during a %d MiB download, want under %d MiB", grew>>20, size>>20, bound>>20)
	}
	if n != size || !bytes.Equal(got, want) {
		t.Fatalf("downloaded %d bytes, sha256 equal %v", n, bytes.Equal(got, want))
	}
}

// mlflowMPU makes the requests MLflow's HttpArtifactRepository makes with
// MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true: POST mpu/create/DIR with the
// local file's path and the part count, a PUT of each chunk to the URL it
// got (with the headers it got) keeping the ETag header, then POST
// mpu/complete/DIR with the parts, or mpu/abort/DIR on a failure.
func mlflowMPU(t *testing.T, base, dir, localPath string, size, chunk int64, body func(off, n int64) io.Reader) (status int, answer string) {
	t.Helper()
	numParts := (size + chunk - 1) / chunk
	mpu := base + "/api/2.0/mlflow-artifacts/mpu/"
	post := func(op string, v any) (int, []byte) {
		b, _ := json.Marshal(v)
		resp, err := http.Post(mpu+op+"/"+dir, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}
	status, out := post("create", map[string]any{"path": localPath, "num_parts": numParts})
	if status != 200 {
		return status, string(out)
	}
	var create struct {
		UploadID    string `json:"upload_id"`
		Credentials []struct {
			URL        string            `json:"url"`
			PartNumber int64             `json:"part_number"`
			Headers    map[string]string `json:"headers"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(out, &create); err != nil || create.UploadID == "" || int64(len(create.Credentials)) != numParts {
		t.Fatalf("mpu/create = %s (%v), want %d credentials", out, err, numParts)
	}
	type part struct {
		PartNumber int64  `json:"part_number"`
		ETag       string `json:"etag"`
	}
	var parts []part
	for i, c := range create.Credentials {
		off := int64(i) * chunk
		n := min(chunk, size-off)
		req, _ := http.NewRequest("PUT", c.URL, body(off, n))
		req.ContentLength = n
		for k, v := range c.Headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			post("abort", map[string]any{"path": localPath, "upload_id": create.UploadID})
			t.Fatalf("PUT part %d = %s", c.PartNumber, resp.Status)
		}
		parts = append(parts, part{c.PartNumber, resp.Header.Get("ETag")})
	}
	status, out = post("complete", map[string]any{"path": localPath, "upload_id": create.UploadID, "parts": parts})
	return status, string(out)
}

// testMultipartUpload uploads size bytes the MLflow client's way in
// 100 MiB chunks (MLflow's MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE default), then
// downloads the file through the proxy and compares it.
func testMultipartUpload(t *testing.T, base string, size int64) {
	const chunk = 100 << 20
	want, _ := sha(&s3test.Pattern{N: size})
	stop := s3test.PeakHeap()
	status, out := mlflowMPU(t, base, "0/r/artifacts/model", "/tmp/some/where/weights.bin", size, chunk, func(off, n int64) io.Reader {
		p := &s3test.Pattern{Off: off, N: off + n}
		return p
	})
	grew := stop()
	if status != 200 || strings.TrimSpace(out) != "{}" {
		t.Fatalf("mpu/complete = %d %s", status, out)
	}
	t.Logf("the heap grew by %d MiB during a %d MiB multipart upload", grew>>20, size>>20)
	if grew > 64<<20 {
		t.Errorf("the heap grew by %d MiB, want under 64 MiB: the parts go to the bucket, not through the server", grew>>20)
	}
	resp, err := http.Get(base + "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/model/weights.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, n := sha(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || n != size || !bytes.Equal(got, want) {
		t.Fatalf("GET after multipart = %s, %d bytes, sha256 equal %v", resp.Status, n, bytes.Equal(got, want))
	}
}

// testMultipartMistakes checks the client mistakes of the mpu routes are
// 4xx, naming the parameter.
func testMultipartMistakes(t *testing.T, base string) {
	mpu := "/api/2.0/mlflow-artifacts/mpu/"
	cases := []struct{ op, body, want string }{
		{"create/0/r/artifacts", `{"num_parts": 2}`, "'path'"},
		{"create/0/r/artifacts", `{"path": "x.bin", "num_parts": 0}`, "'num_parts'"},
		{"create/0/r/artifacts", `{"path": "x.bin", "num_parts": 10001}`, "'num_parts'"},
		{"create/0/r/artifacts", `{"path": "..", "num_parts": 1}`, "'path'"},
		{"create/0/r/artifacts", `{"path": 3}`, ""},
		{"create/0/r/artifacts", `not json`, ""},
		{"complete/0/r/artifacts", `{"path": "x.bin", "upload_id": "u"}`, "'parts'"},
		{"complete/0/r/artifacts", `{"path": "x.bin", "parts": [{"part_number": 1, "etag": "e"}]}`, "'upload_id'"},
		{"complete/0/r/artifacts", `{"path": "x.bin", "upload_id": "u", "parts": [{"part_number": 0, "etag": "e"}]}`, "'parts[0]'"},
		{"complete/0/r/artifacts", `{"path": "x.bin", "upload_id": "no-such-upload", "parts": [{"part_number": 1, "etag": "\"e\""}]}`, "invalid multipart upload"},
		{"abort/0/r/artifacts", `{"path": "x.bin"}`, "'upload_id'"},
	}
	for _, c := range cases {
		status, b := call(t, base, "POST", mpu+c.op, "application/json", c.body)
		if status/100 != 4 || !strings.Contains(b, c.want) {
			t.Errorf("POST %s %s = %d %s, want 4xx naming %s", c.op, c.body, status, b, c.want)
		}
	}
	// A small file goes in one part.
	if status, out := mlflowMPU(t, base, "0/r/artifacts", "small.txt", 11, 5<<20, func(off, n int64) io.Reader {
		return strings.NewReader("hello world"[off : off+n])
	}); status != 200 {
		t.Fatalf("one-part upload = %d %s", status, out)
	}
	if status, b := call(t, base, "GET", "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/small.txt", "", ""); status != 200 || b != "hello world" {
		t.Errorf("GET small.txt = %d %q", status, b)
	}
}

// testNoServeArtifacts: the experiment's location is the bucket's URI,
// clients write there directly, the proxy answers MLflow's 503, and the
// server still reads the files for the UI and the run's artifact list.
func testNoServeArtifacts(t *testing.T, base string, st *s3.Store) {
	status, b := call(t, base, "POST", "/api/2.0/mlflow/experiments/create", "application/json", `{"name": "direct"}`)
	if status != 200 {
		t.Fatalf("create experiment = %d %s", status, b)
	}
	var exp struct {
		ExperimentID string `json:"experiment_id"`
	}
	json.Unmarshal([]byte(b), &exp)
	runID, uri := createRun(t, base, exp.ExperimentID)
	wantURI := fmt.Sprintf("%s/%s/%s/artifacts", st.URI(), exp.ExperimentID, runID)
	if uri != wantURI {
		t.Fatalf("run artifact URI = %q, want %q", uri, wantURI)
	}
	// The client writes to the bucket itself.
	rel := strings.TrimPrefix(uri, st.URI()+"/")
	if err := st.Put(context.Background(), rel+"/model/MLmodel", strings.NewReader("flavors: {}\n")); err != nil {
		t.Fatal(err)
	}
	if status, b := call(t, base, "GET", "/get-artifact?run_uuid="+runID+"&path=model/MLmodel", "", ""); status != 200 || b != "flavors: {}\n" {
		t.Errorf("UI get-artifact = %d %q", status, b)
	}
	status, b = call(t, base, "GET", "/api/2.0/mlflow/artifacts/list?run_id="+runID, "", "")
	if status != 200 || !strings.Contains(b, `"root_uri": "`+uri+`"`) || !strings.Contains(b, `"path": "model"`) {
		t.Errorf("list run artifacts = %d %s", status, b)
	}
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/api/2.0/mlflow-artifacts/artifacts/x/y.txt", "x"},
		{"GET", "/api/2.0/mlflow-artifacts/artifacts/x/y.txt", ""},
		{"GET", "/api/2.0/mlflow-artifacts/artifacts?path=x", ""},
		{"DELETE", "/api/2.0/mlflow-artifacts/artifacts/x/y.txt", ""},
		{"POST", "/api/2.0/mlflow-artifacts/mpu/create/x", `{"path": "y.bin", "num_parts": 1}`},
	} {
		status, b := call(t, base, c.method, c.path, "application/json", c.body)
		if status != 503 || !strings.Contains(b, "--no-serve-artifacts") {
			t.Errorf("%s %s = %d %s, want 503 naming --no-serve-artifacts", c.method, c.path, status, b)
		}
	}
}
