package replicatest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/berthml/berth/internal/replicatest"
)

// testUI loads the UI's page, every file it names and the API calls its
// first page makes, from each replica directly and through HAProxy.
func testUI(t *testing.T, c *replicatest.Cluster) {
	ctx := context.Background()
	bases := []string{c.URL}
	for _, r := range c.Replicas {
		bases = append(bases, r.URL)
	}
	for _, base := range bases {
		resp, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s/: %d %s", base, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		refs := assetRef.FindAllStringSubmatch(string(page), -1)
		if len(refs) == 0 {
			t.Fatalf("GET %s/ names no /static/ file:\n%.500s", base, page)
		}
		for _, m := range refs {
			resp, err := http.Get(base + m[1])
			if err != nil {
				t.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || n == 0 {
				t.Errorf("GET %s%s: %d, %d bytes", base, m[1], resp.StatusCode, n)
			}
		}
		for _, api := range []struct{ method, path string }{
			{"POST", "/ajax-api/2.0/mlflow/experiments/search"},
			{"GET", "/ajax-api/2.0/mlflow/registered-models/search"},
			{"POST", "/ajax-api/2.0/mlflow/runs/search"},
		} {
			var body any
			if api.method == "POST" {
				body = map[string]any{"max_results": 10, "experiment_ids": []string{"0"}}
			}
			if _, err := call(ctx, http.DefaultClient, api.method, base+api.path, body, nil); err != nil {
				t.Errorf("the UI's %v", err)
			}
		}
	}
}
