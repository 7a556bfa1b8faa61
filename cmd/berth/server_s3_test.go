package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/berthml/berth/blob/s3"
	"github.com/berthml/berth/internal/s3test"
)

// TestServerOnS3 runs the real binary with --artifacts-destination
// s3://bucket/prefix, configured by the variables MLflow users set
// (MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_REGION): an artifact PUT through the proxy lands in the bucket under
// the prefix, and --no-serve-artifacts gives experiments the bucket's URI.
func TestServerOnS3(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "berth-cli")
	bin := buildBerth(t)
	env := []string{"MLFLOW_S3_ENDPOINT_URL=" + srv.Endpoint, "AWS_ACCESS_KEY_ID=" + s3test.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"}
	dir := t.TempDir()
	url := startServer(t, bin, dir, env, "--backend-store-uri", "sqlite:///b.db", "--artifacts-destination", "s3://"+bucket+"/team/mlflow")
	req, _ := http.NewRequest("PUT", url+"/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/notes.txt", strings.NewReader("hello"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("artifact PUT = %s", resp.Status)
	}
	st, err := s3.Open(context.Background(), "s3://"+bucket+"/team/mlflow", s3.WithEndpoint(srv.Endpoint),
		s3.WithStaticCredentials(s3test.AccessKey, s3test.SecretKey))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := st.Get(context.Background(), "0/r/artifacts/notes.txt")
	if err != nil {
		t.Fatalf("the artifact is not in the bucket under the prefix: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "hello" {
		t.Errorf("the bucket holds %q", b)
	}

	url = startServer(t, bin, t.TempDir(), env, "--backend-store-uri", "sqlite:///b.db", "--artifacts-destination", "s3://"+bucket+"/direct",
		"--no-serve-artifacts")
	status, body := callJSON(t, url, "POST", "/api/2.0/mlflow/experiments/create", `{"name": "direct"}`)
	if status != 200 {
		t.Fatalf("create experiment = %d %s", status, body)
	}
	status, body = callJSON(t, url, "GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=direct", "")
	if status != 200 || !strings.Contains(body, `"artifact_location": "s3://`+bucket+`/direct/`) {
		t.Errorf("experiment = %d %s, want its artifact_location in the bucket", status, body)
	}
	if status, body := callJSON(t, url, "GET", "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/notes.txt", ""); status != 503 {
		t.Errorf("proxy GET under --no-serve-artifacts = %d %s, want 503", status, body)
	}
}

// callJSON sends body (JSON, or nothing) and returns the status and answer.
func callJSON(t *testing.T, base, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
