package serve_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}, {"diabetes", "diabetes_linreg"}})
	good := `{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2]]}}`
	post(t, ts.URL+"/invocations", good)
	post(t, ts.URL+"/invocations", good)
	post(t, ts.URL+"/invocations", `{"dataframe_split": {"columns": ["sepal_length"], "data": [[1]]}}`)
	post(t, ts.URL+"/v2/models/iris/infer", `{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}`)
	post(t, ts.URL+"/v2/models/nope/infer", `{}`)

	want := `
# HELP berth_requests_total Scoring requests answered, by model, version, protocol and HTTP status code.
# TYPE berth_requests_total counter
berth_requests_total{code="200",model="diabetes",protocol="mlflow",version="1"} 0
berth_requests_total{code="200",model="diabetes",protocol="v1",version="1"} 0
berth_requests_total{code="200",model="diabetes",protocol="v2",version="1"} 0
berth_requests_total{code="200",model="iris",protocol="mlflow",version="1"} 2
berth_requests_total{code="200",model="iris",protocol="v1",version="1"} 0
berth_requests_total{code="200",model="iris",protocol="v2",version="1"} 1
berth_requests_total{code="400",model="iris",protocol="mlflow",version="1"} 1
berth_requests_total{code="404",model="",protocol="v2",version=""} 1
# HELP berth_requests_in_flight Scoring requests being handled now.
# TYPE berth_requests_in_flight gauge
berth_requests_in_flight{model="diabetes",version="1"} 0
berth_requests_in_flight{model="iris",version="1"} 0
# HELP berth_model_ready 1 when the model is loaded, warmed up and accepting requests, else 0.
# TYPE berth_model_ready gauge
berth_model_ready{model="diabetes",version="1"} 1
berth_model_ready{model="iris",version="1"} 1
`
	if err := testutil.GatherAndCompare(ts.reg, strings.NewReader(want),
		"berth_requests_total", "berth_requests_in_flight", "berth_model_ready"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(ts.reg, "berth_request_duration_seconds"); n != 7 {
		t.Errorf("request duration series = %d, want 7 (3 protocols × 2 models, and the unknown model)", n)
	}
	if n := testutil.CollectAndCount(ts.reg, "berth_inference_duration_seconds"); n != 2 {
		t.Errorf("inference duration series = %d, want 2", n)
	}
	if n := testutil.CollectAndCount(ts.reg, "berth_model_info"); n != 2 {
		t.Errorf("model_info series = %d, want 2", n)
	}
	problems, err := testutil.GatherAndLint(ts.reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}

	r := do(t, http.MethodGet, ts.URL+"/metrics", "", nil)
	if r.status != 200 || !bytes.Contains(r.body, []byte("berth_model_load_duration_seconds")) {
		t.Fatalf("GET /metrics = %d:\n%s", r.status, r.body)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			t.Fatal("promtool not found (apt-get install prometheus)")
		}
		t.Skip("promtool not found (apt-get install prometheus)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(r.body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
