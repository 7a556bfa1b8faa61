package serve_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/berthml/berth/serve"
)

// TestMultiInputRowsDiffer: a two-input model given inputs with different
// row counts answers 400 naming both inputs, in every protocol, with and
// without dynamic batching (it used to be a 500 with ONNX Runtime's text).
func TestMultiInputRowsDiffer(t *testing.T) {
	bodies := map[string]string{
		"/invocations": `{"inputs": {"sepal": [[1, 2], [3, 4], [5, 6]], "petal": [[1, 2], [3, 4]]}}`,
		"/v2/models/multi/infer": `{"inputs": [{"name": "sepal", "shape": [3, 2], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]},` +
			`{"name": "petal", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}]}`,
		"/v1/models/multi:predict": `{"inputs": {"sepal": [[1, 2], [3, 4], [5, 6]], "petal": [[1, 2], [3, 4]]}}`,
	}
	for name, opts := range map[string][]serve.Option{
		"plain":   nil,
		"batched": {serve.WithBatching(serve.BatchConfig{MaxBatchSize: 8})},
	} {
		ts := newTestServer(t, []namedModel{{"multi", "multi_input"}}, opts...)
		for path, body := range bodies {
			r := post(t, ts.URL+path, body)
			if r.status != http.StatusBadRequest {
				t.Errorf("%s POST %s: %d, want 400: %s", name, path, r.status, r.body)
				continue
			}
			if !strings.Contains(string(r.body), "sepal") || !strings.Contains(string(r.body), "petal") {
				t.Errorf("%s POST %s: the 400 should name both inputs: %s", name, path, r.body)
			}
		}
	}
}
