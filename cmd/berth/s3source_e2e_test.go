package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/blob/s3"
	"github.com/berthml/berth/internal/iristest"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/internal/s3test"
)

// TestS3SourceEndToEnd is MLflow's direct-to-bucket mode on the real
// binaries: `berth server --no-serve-artifacts --artifacts-destination
// s3://…` gives a run an s3:// artifact location; the iris model's files
// are written there the way the MLflow client does (straight to the bucket,
// the server proxying nothing); the version is registered with that s3://
// source and aliased champion. Then, with only MLFLOW_S3_ENDPOINT_URL and
// AWS_* in the environment, `berth serve models:/iris-s3@champion` scores
// the iris rows as sklearn does, and `berth pack models:/iris-s3@champion
// --oci-layout` builds an image holding the bucket's model.onnx. The
// server holds no copy of the files, so both can only have read the bucket.
func TestS3SourceEndToEnd(t *testing.T) {
	lib := ortest.Init(t)
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "berth-direct")
	bin := buildBerth(t)
	env := map[string]string{"MLFLOW_S3_ENDPOINT_URL": srv.Endpoint, "AWS_ACCESS_KEY_ID": s3test.AccessKey,
		"AWS_SECRET_ACCESS_KEY": s3test.SecretKey, "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
	var envList []string
	for k, v := range env {
		t.Setenv(k, v) // berth serve and pack inherit them, as from an MLflow user's shell
		envList = append(envList, k+"="+v)
	}
	tracking := startServer(t, bin, t.TempDir(), envList, "--backend-store-uri", "sqlite:///b.db",
		"--artifacts-destination", "s3://"+bucket+"/mlartifacts", "--no-serve-artifacts")

	post := func(path, body string, out any) {
		t.Helper()
		status, answer := callJSON(t, tracking, "POST", path, body)
		if status != 200 {
			t.Fatalf("POST %s %s = %d %s", path, body, status, answer)
		}
		if out != nil {
			if err := json.Unmarshal([]byte(answer), out); err != nil {
				t.Fatalf("POST %s: %v in %s", path, err, answer)
			}
		}
	}
	var exp struct {
		ID string `json:"experiment_id"`
	}
	post("/api/2.0/mlflow/experiments/create", `{"name": "iris-direct"}`, &exp)
	var run struct {
		Run struct {
			Info struct {
				ID          string `json:"run_id"`
				ArtifactURI string `json:"artifact_uri"`
			} `json:"info"`
		} `json:"run"`
	}
	post("/api/2.0/mlflow/runs/create", fmt.Sprintf(`{"experiment_id": %q}`, exp.ID), &run)
	artifacts := run.Run.Info.ArtifactURI
	if want := "s3://" + bucket + "/mlartifacts/" + exp.ID + "/" + run.Run.Info.ID + "/artifacts"; artifacts != want {
		t.Fatalf("the run's artifact_uri = %q, want %q (the bucket, not the proxy)", artifacts, want)
	}

	// The MLflow client's log_model under --no-serve-artifacts: each file
	// PUT into the bucket under the run's artifact location.
	ctx := context.Background()
	st, err := s3.Open(ctx, artifacts, s3.WithEndpoint(srv.Endpoint), s3.WithStaticCredentials(s3test.AccessKey, s3test.SecretKey),
		s3.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join("..", "..", "testdata", "models", "iris_logreg")
	err = filepath.WalkDir(model, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(model, p)
		return st.Put(ctx, "model/"+filepath.ToSlash(rel), bytes.NewReader(b))
	})
	if err != nil {
		t.Fatal(err)
	}
	post("/api/2.0/mlflow/registered-models/create", `{"name": "iris-s3"}`, nil)
	post("/api/2.0/mlflow/model-versions/create", fmt.Sprintf(`{"name": "iris-s3", "source": %q, "run_id": %q}`,
		artifacts+"/model", run.Run.Info.ID), nil)
	post("/api/2.0/mlflow/registered-models/alias", `{"name": "iris-s3", "alias": "champion", "version": "1"}`, nil)

	// berth serve: the four iris rows of the fixture, sklearn's labels and probabilities.
	serving := startBerth(t, bin, "serve", "models:/iris-s3@champion", "--registry-uri", tracking, "--port", "0",
		"--ort-lib", lib, "--cache-dir", t.TempDir())
	iristest.CheckInvocations(t, serving)

	// berth pack: an OCI layout whose model.onnx is the bucket's.
	images := filepath.Join(t.TempDir(), "images")
	out := runBerth(t, bin, "pack", "models:/iris-s3@champion", "--registry-uri", tracking, "--oci-layout", images,
		"--name", "iris-s3:1", "--cache-dir", t.TempDir(), "--binary", bin, "--ort-lib", lib)
	if !strings.Contains(out, "oci:"+images+":1") {
		t.Errorf("pack output does not name the layout:\n%s", out)
	}
	want, err := os.ReadFile(filepath.Join(model, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if got := imageFile(t, images, "opt/ml/model/model.onnx"); got != string(want) {
		t.Errorf("the image's model.onnx is %d bytes, not the %d put in the bucket", len(got), len(want))
	}

	// Pointed at no S3 endpoint, the same pack fails: the files came from
	// the bucket and nowhere else.
	cmd := exec.Command(bin, "pack", "models:/iris-s3@champion", "--registry-uri", tracking, "--oci-layout",
		filepath.Join(t.TempDir(), "none"), "--cache-dir", t.TempDir(), "--binary", bin, "--ort-lib", lib,
		"--s3-endpoint-url", "http://127.0.0.1:1")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "downloading iris-s3 version 1") {
		t.Errorf("pack with an unreachable S3 endpoint: %v, want a failed download from the bucket:\n%s", err, out)
	}
}
