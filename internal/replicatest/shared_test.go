package replicatest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/berthml/berth/internal/replicatest"
)

// testSharedState writes through one replica and reads through the others:
// an experiment and its run (PostgreSQL), a registered model's alias, and
// an artifact (the bucket).
func testSharedState(t *testing.T, c *replicatest.Cluster) {
	ctx := context.Background()
	cl := http.DefaultClient
	r0, r1, r2 := c.Replicas[0].URL, c.Replicas[1].URL, c.Replicas[2].URL
	var exp struct {
		ExperimentID string `json:"experiment_id"`
	}
	if _, err := call(ctx, cl, "POST", r0+"/api/2.0/mlflow/experiments/create", map[string]any{"name": "shared-" + time.Now().Format("150405.000")}, &exp); err != nil {
		t.Fatal(err)
	}
	var run struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	if _, err := call(ctx, cl, "POST", r1+"/api/2.0/mlflow/runs/create", map[string]any{"experiment_id": exp.ExperimentID}, &run); err != nil {
		t.Fatal(err)
	}
	id := run.Run.Info.RunID
	if _, err := call(ctx, cl, "POST", r2+"/api/2.0/mlflow/runs/log-metric", map[string]any{"run_id": id, "key": "loss", "value": 0.5, "timestamp": 1, "step": 1}, nil); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Run struct {
			Data struct {
				Metrics []struct {
					Key   string  `json:"key"`
					Value float64 `json:"value"`
				} `json:"metrics"`
			} `json:"data"`
		} `json:"run"`
	}
	if _, err := call(ctx, cl, "GET", r0+"/api/2.0/mlflow/runs/get?run_id="+id, nil, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Run.Data.Metrics) != 1 || got.Run.Data.Metrics[0].Value != 0.5 {
		t.Errorf("run written through r1 and r2, read through r0: metrics %+v", got.Run.Data.Metrics)
	}

	// A model version and its alias, set through one replica, resolved
	// through each of the others at once: no replica caches registry state.
	name := "shared-model-" + time.Now().Format("150405000")
	if _, err := call(ctx, cl, "POST", r0+"/api/2.0/mlflow/registered-models/create", map[string]any{"name": name}, nil); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 2; v++ {
		if _, err := call(ctx, cl, "POST", r1+"/api/2.0/mlflow/model-versions/create", map[string]any{"name": name, "source": "runs:/" + id + "/model", "run_id": id}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := call(ctx, cl, "POST", r2+"/api/2.0/mlflow/registered-models/alias", map[string]any{"name": name, "alias": "champion", "version": fmt.Sprint(v)}, nil); err != nil {
			t.Fatal(err)
		}
		for _, r := range c.Replicas {
			var mv struct {
				ModelVersion struct {
					Version string `json:"version"`
				} `json:"model_version"`
			}
			if _, err := call(ctx, cl, "GET", r.URL+"/api/2.0/mlflow/registered-models/alias?name="+name+"&alias=champion", nil, &mv); err != nil {
				t.Fatal(err)
			}
			if mv.ModelVersion.Version != fmt.Sprint(v) {
				t.Errorf("alias champion moved to version %d through r2; %s resolves it to %q", v, r.Name, mv.ModelVersion.Version)
			}
		}
	}

	// An artifact uploaded through r0 downloads through r1 and r2.
	content := bytes.Repeat([]byte("berth replicas share one bucket\n"), 1000)
	url := "/api/2.0/mlflow-artifacts/artifacts/" + exp.ExperimentID + "/" + id + "/artifacts/shared.txt"
	req, _ := http.NewRequestWithContext(ctx, "PUT", r0+url, bytes.NewReader(content))
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("artifact upload through r0: %d", resp.StatusCode)
	}
	for _, r := range []string{r1, r2} {
		resp, err := cl.Get(r + url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Equal(b, content) {
			t.Errorf("artifact uploaded through r0, read through %s: %d, %d bytes of %d", r, resp.StatusCode, len(b), len(content))
		}
	}
}

// testMultipart makes MLflow's proxy multipart upload with each step on
// another replica: mpu/create on r0, the parts PUT straight to the bucket
// through the presigned URLs r0 gave, mpu/complete on r1, the download on
// r2. The upload's state is the bucket's, not a replica's.
func testMultipart(t *testing.T, c *replicatest.Cluster) {
	const dir = "0/multipart/artifacts"
	part1 := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16) // S3's smallest part but the last: 5 MiB
	part2 := []byte("the last part of the file\n")
	mpu := "/api/2.0/mlflow-artifacts/mpu/"
	post := func(base, op string, v any, out any) {
		t.Helper()
		if _, err := call(context.Background(), http.DefaultClient, "POST", base+mpu+op+"/"+dir, v, out); err != nil {
			t.Fatal(err)
		}
	}
	var create struct {
		UploadID    string `json:"upload_id"`
		Credentials []struct {
			URL        string            `json:"url"`
			PartNumber int64             `json:"part_number"`
			Headers    map[string]string `json:"headers"`
		} `json:"credentials"`
	}
	post(c.Replicas[0].URL, "create", map[string]any{"path": "/local/weights.bin", "num_parts": 2}, &create)
	if len(create.Credentials) != 2 {
		t.Fatalf("mpu/create: %d credentials, want 2", len(create.Credentials))
	}
	var parts []map[string]any
	for i, body := range [][]byte{part1, part2} {
		cr := create.Credentials[i]
		req, _ := http.NewRequest("PUT", cr.URL, bytes.NewReader(body))
		for k, v := range cr.Headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT part %d to the bucket: %s", cr.PartNumber, resp.Status)
		}
		parts = append(parts, map[string]any{"part_number": cr.PartNumber, "etag": resp.Header.Get("ETag")})
	}
	post(c.Replicas[1].URL, "complete", map[string]any{"path": "/local/weights.bin", "upload_id": create.UploadID, "parts": parts}, nil)
	resp, err := http.Get(c.Replicas[2].URL + "/api/2.0/mlflow-artifacts/artifacts/" + dir + "/weights.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, append(part1, part2...)) {
		t.Errorf("download through r2 of the file uploaded through r0 and r1: %s, %d bytes of %d", resp.Status, len(got), len(part1)+len(part2))
	}
}
