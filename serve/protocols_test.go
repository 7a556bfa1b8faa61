package serve_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestOpenInferenceProtocol(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}})
	_, want := expected(t, "iris_logreg")

	r := do(t, http.MethodGet, ts.URL+"/v2", "", nil)
	if r.status != 200 || r.json(t)["name"] != "berth" {
		t.Errorf("GET /v2 = %d %s", r.status, r.body)
	}
	for _, p := range []string{"/v2/health/live", "/v2/health/ready", "/v2/models/iris/ready", "/v2/models/iris/versions/1/ready"} {
		if r := do(t, http.MethodGet, ts.URL+p, "", nil); r.status != 200 {
			t.Errorf("GET %s = %d %s", p, r.status, r.body)
		}
	}
	r = do(t, http.MethodGet, ts.URL+"/v2/models/iris", "", nil)
	meta := r.json(t)
	if r.status != 200 || meta["platform"] != "onnxruntime_onnx" {
		t.Fatalf("metadata = %d %s", r.status, r.body)
	}
	in := meta["inputs"].([]any)[0].(map[string]any)
	if in["name"] != "input" || in["datatype"] != "FP32" {
		t.Errorf("metadata input = %v, want input FP32 [-1 4]", in)
	}

	body := `{"id": "r1", "inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4]]}]}`
	for _, path := range []string{"/v2/models/iris/infer", "/v2/models/iris/versions/1/infer"} {
		r := post(t, ts.URL+path, body)
		if r.status != 200 {
			t.Fatalf("%s = %d %s", path, r.status, r.body)
		}
		resp := r.json(t)
		if resp["model_name"] != "iris" || resp["id"] != "r1" {
			t.Errorf("response header fields: %s", r.body)
		}
		for _, o := range resp["outputs"].([]any) {
			out := o.(map[string]any)
			if out["name"] == "label" {
				data := out["data"].([]any)
				if data[0] != want["label"].([]any)[0] || data[1] != want["label"].([]any)[1] {
					t.Errorf("labels %v, sklearn %v", data, want["label"])
				}
			}
		}
	}

	// Output selection.
	r = post(t, ts.URL+"/v2/models/iris/infer", `{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}], "outputs": [{"name": "probabilities"}]}`)
	outs := r.json(t)["outputs"].([]any)
	if len(outs) != 1 || outs[0].(map[string]any)["name"] != "probabilities" {
		t.Errorf("asked for probabilities only, got %s", r.body)
	}

	// Unknown model and version: 404 with {"error"}.
	for _, path := range []string{"/v2/models/nope", "/v2/models/iris/versions/7", "/v2/models/nope/infer"} {
		method := http.MethodGet
		if strings.HasSuffix(path, "infer") {
			method = http.MethodPost
		}
		r := do(t, method, ts.URL+path, "application/json", []byte(body))
		if r.status != 404 || r.json(t)["error"] == nil {
			t.Errorf("%s %s = %d %s, want 404 {\"error\"}", method, path, r.status, r.body)
		}
	}
}

func TestKServeV1(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}})
	r := post(t, ts.URL+"/v1/models/iris:predict", `{"instances": [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5]]}`)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	preds := r.json(t)["predictions"].([]any)
	if len(preds) != 2 || preds[0].(map[string]any)["label"] != 0.0 || preds[1].(map[string]any)["label"] != 2.0 {
		t.Errorf("predictions = %s", r.body)
	}
	if r := do(t, http.MethodGet, ts.URL+"/v1/models/iris", "", nil); r.status != 200 || r.json(t)["ready"] != true {
		t.Errorf("GET /v1/models/iris = %d %s", r.status, r.body)
	}
	if r := post(t, ts.URL+"/v1/models/iris:explain", `{}`); r.status != 404 {
		t.Errorf(":explain = %d, want 404", r.status)
	}
}

// TestManyModels serves several fixtures in one process: each answers under
// its own name on every protocol, and /invocations goes to the default.
func TestManyModels(t *testing.T) {
	ts := newTestServer(t, []namedModel{
		{"iris", "iris_logreg"}, {"diabetes", "diabetes_linreg"}, {"tree", "iris_tree"},
		{"species", "string_input"}, {"multi", "multi_input"}, {"rf", "sklearn_randomforest"}, {"k", "batch_k"},
	})
	cases := []struct {
		name, path, body, want string
	}{
		{"default is the first", "/invocations",
			`{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2]]}}`, `"label":0`},
		{"diabetes by name", "/models/diabetes/invocations",
			`{"dataframe_records": [{"age": 0.038, "sex": 0.05, "bmi": 0.062, "bp": 0.022, "s1": -0.044, "s2": -0.035, "s3": -0.043, "s4": -0.003, "s5": 0.02, "s6": -0.018}]}`, `{"predictions":[`},
		{"tree: sequence of maps", "/models/tree/invocations", `{"inputs": [[5.1, 3.5, 1.4, 0.2]]}`, `"output_probability":[{"0":`},
		{"string input", "/models/species/invocations", `{"dataframe_split": {"columns": ["species"], "data": [["virginica"], ["setosa"]]}}`, `{"predictions":[`},
		{"several inputs", "/models/multi/invocations", `{"inputs": {"sepal": [[5.1, 3.5]], "petal": [[1.4, 0.2]]}}`, `"label":[0]`},
		{"no signature", "/models/rf/invocations", `{"inputs": {"X": [[5.1, 3.5, 1.4, 0.2]]}}`, `"output_label"`},
		{"(batch, k) output stays one row per input row", "/models/k/invocations",
			`{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5]]}}`, `{"predictions":[[`},
		{"v2 by name", "/v2/models/diabetes/infer",
			`{"inputs": [{"name": "X", "shape": [1, 10], "datatype": "FP32", "data": [0.038, 0.05, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.02, -0.018]}]}`, `"name":"variable"`},
		{"v2 strings", "/v2/models/species/infer",
			`{"inputs": [{"name": "species", "shape": [1, 1], "datatype": "BYTES", "data": ["versicolor"]}]}`, `"datatype":"INT64"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(t, ts.URL+c.path, c.body)
			if r.status != 200 || !strings.Contains(string(r.body), c.want) {
				t.Fatalf("%s = %d %s, want 200 containing %s", c.path, r.status, r.body, c.want)
			}
		})
	}
}

// TestBadInputKeepsServing sends a client's mistakes of every kind: each
// gets a 4xx naming the problem, and the server answers the next good
// request.
func TestBadInputKeepsServing(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}})
	good := `{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2]]}}`
	v2 := func(s string) string { return `{"inputs": [{"name": "input", ` + s + `}]}` }
	cases := []struct {
		name, path, ctype, body string
		status                  int
		mention                 string
	}{
		{"invalid JSON", "/invocations", "application/json", `{"dataframe_split": `, 400, "JSON"},
		{"empty body", "/invocations", "application/json", ``, 400, ""},
		{"no protocol key", "/invocations", "application/json", `{"params": {}}`, 400, "dataframe_split"},
		{"two protocol keys", "/invocations", "application/json", `{"inputs": [], "instances": []}`, 400, "exactly one"},
		{"top-level list", "/invocations", "application/json", `[[1, 2, 3, 4]]`, 400, ""},
		{"wrong content type", "/invocations", "text/plain", good, 415, "content types"},
		{"missing content type", "/invocations", "", good, 415, "content types"},
		{"wrong charset", "/invocations", "application/json; charset=latin-1", good, 415, "UTF-8"},
		{"string in numeric column", "/invocations", "application/json", `{"dataframe_split": {"columns": ` + irisColumns + `, "data": [["x", 3.5, 1.4, 0.2]]}}`, 400, "sepal_length"},
		{"ragged rows", "/invocations", "application/json", `{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2], [1.0]]}}`, 400, ""},
		{"missing column", "/invocations", "application/json", `{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length"], "data": [[5.1, 3.5, 1.4]]}}`, 400, "petal_width"},
		{"NaN", "/invocations", "application/json", `{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[NaN, 3.5, 1.4, 0.2]]}}`, 400, ""},
		{"deeply nested", "/invocations", "application/json", `{"inputs": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`, 400, ""},
		{"invalid UTF-8", "/invocations", "application/json", "{\"inputs\": [\"\xff\xfe\"]}", 400, "UTF-8"},
		{"unknown model", "/models/nope/invocations", "application/json", good, 404, "nope"},
		{"v2 wrong dtype", "/v2/models/iris/infer", "application/json", v2(`"shape": [1, 4], "datatype": "INT64", "data": [1, 2, 3, 4]`), 400, "INT64"},
		{"v2 wrong shape", "/v2/models/iris/infer", "application/json", v2(`"shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]`), 400, ""},
		{"v2 data disagrees with shape", "/v2/models/iris/infer", "application/json", v2(`"shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3, 4]`), 400, ""},
		{"v2 missing input", "/v2/models/iris/infer", "application/json", `{"inputs": []}`, 400, "input"},
		{"v2 binary header longer than body", "/v2/models/iris/infer", "application/octet-stream", `{"inputs": []}`, 400, ""},
		{"wrong method", "/invocations", "", "", 405, ""},
		{"unknown path", "/nope", "", "", 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method, hdr := http.MethodPost, []string{}
			if c.status == 405 || c.path == "/nope" {
				method = http.MethodGet
			}
			if c.name == "v2 binary header longer than body" {
				hdr = []string{"Inference-Header-Content-Length", "9999"}
			}
			r := do(t, method, ts.URL+c.path, c.ctype, []byte(c.body), hdr...)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if c.mention != "" && !strings.Contains(string(r.body), c.mention) {
				t.Errorf("message does not mention %q: %s", c.mention, r.body)
			}
			if g := post(t, ts.URL+"/invocations", good); g.status != 200 {
				t.Fatalf("the next good request failed: %d %s", g.status, g.body)
			}
		})
	}
}
