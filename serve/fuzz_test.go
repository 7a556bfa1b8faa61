package serve_test

import (
	"bytes"
	"net/http"
	"testing"
)

// FuzzServerNever5xx throws arbitrary bodies and content types at every
// scoring route of a real server: a client's input, however broken, must
// never get a 5xx nor stop the server.
func FuzzServerNever5xx(f *testing.F) {
	ts := newTestServer(f, []namedModel{{"iris", "iris_logreg"}, {"species", "string_input"}})
	seeds := []struct{ path, ctype, body string }{
		{"/invocations", "application/json", `{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2]]}}`},
		{"/invocations", "application/json", `{"inputs": {"sepal_length": 1, "sepal_width": 2, "petal_length": 3, "petal_width": 4}}`},
		{"/invocations", "text/csv", "sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n"},
		{"/models/species/invocations", "application/json", `{"dataframe_records": [{"species": "setosa"}]}`},
		{"/v2/models/iris/infer", "application/json", `{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}`},
		{"/v2/models/species/infer", "application/json", `{"inputs": [{"name": "species", "shape": [1, 1], "datatype": "BYTES", "data": ["x"]}]}`},
		{"/v1/models/iris:predict", "application/json", `{"instances": [[1, 2, 3, 4]]}`},
		{"/invocations", "application/json", `{"inputs": [[1e309, -0, 1, 2]]}`},
		{"/v2/models/iris/infer", "application/json", `{"inputs": [{"name": "input", "shape": [0, 4], "datatype": "FP32", "data": []}]}`},
	}
	for _, s := range seeds {
		f.Add(s.path, s.ctype, []byte(s.body))
	}
	paths := map[string]bool{}
	for _, s := range seeds {
		paths[s.path] = true
	}
	f.Fuzz(func(t *testing.T, path, ctype string, body []byte) {
		if !paths[path] {
			path = "/invocations"
		}
		if len(ctype) > 200 {
			ctype = ctype[:200]
		}
		req, err := http.NewRequest(http.MethodPost, ts.URL+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			// An invalid header value is refused by the client itself.
			return
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("POST %s (%q) %q = %d", path, ctype, body, resp.StatusCode)
		}
	})
}
