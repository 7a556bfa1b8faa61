package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestModelVersionsTag checks the mlflow.modelVersions tag the server
// keeps on a logged model as versions are registered from it: Python's
// json.dumps form (", " and ": ", non-ASCII escaped), the version a
// number, one entry per version, by model_id or by a models:/m-<id> source.
func TestModelVersionsTag(t *testing.T) {
	ts := httptest.NewServer(newServer(t).Handler())
	defer ts.Close()
	api := func(method, path, body string, want int) map[string]any {
		t.Helper()
		code, got := call(t, ts.URL, method, "/api/2.0/mlflow/"+path, "application/json", body)
		if code != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, code, got, want)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(got), &v); err != nil {
			t.Fatalf("%s %s: %s", method, path, got)
		}
		return v
	}
	runID, _ := createRun(t, ts.URL, "0")
	m := api("POST", "logged-models", `{"experiment_id": "0", "name": "lr", "source_run_id": "`+runID+`"}`, http.StatusOK)
	id := m["model"].(map[string]any)["info"].(map[string]any)["model_id"].(string)
	for _, name := range []string{"modèle", "b"} {
		api("POST", "registered-models/create", `{"name": "`+name+`"}`, http.StatusOK)
	}
	v := api("POST", "model-versions/create", `{"name": "modèle", "source": "models:/`+id+`", "model_id": "`+id+`"}`, http.StatusOK)
	if mv := v["model_version"].(map[string]any); mv["run_id"] != runID || mv["model_id"] != nil {
		t.Errorf("version %v: want the model's run and no model_id, as MLflow answers", mv)
	}
	api("POST", "model-versions/create", `{"name": "modèle", "source": "models:/`+id+`"}`, http.StatusOK)
	api("POST", "model-versions/create", `{"name": "b", "source": "models:/`+id+`/sub", "model_id": "`+id+`"}`, http.StatusOK)
	got := api("GET", "logged-models/"+id, "", http.StatusOK)
	var tag string
	for _, tg := range got["model"].(map[string]any)["info"].(map[string]any)["tags"].([]any) {
		if kv := tg.(map[string]any); kv["key"] == "mlflow.modelVersions" {
			tag = kv["value"].(string)
		}
	}
	want := `[{"name": "mod\u00e8le", "version": 1}, {"name": "mod\u00e8le", "version": 2}, {"name": "b", "version": 1}]`
	if tag != want {
		t.Errorf("mlflow.modelVersions = %s, want %s", tag, want)
	}
	dl := api("GET", "model-versions/get-download-uri?name=b&version=1", "", http.StatusOK)
	if want := "mlflow-artifacts:/0/models/" + id + "/artifacts/sub"; dl["artifact_uri"] != want {
		t.Errorf("download URI %v, want %s", dl["artifact_uri"], want)
	}
	// A version of a logged model that does not exist is refused, and
	// nothing is registered.
	e := api("POST", "model-versions/create", `{"name": "b", "source": "models:/m-00000000000000000000000000000000"}`, http.StatusNotFound)
	if e["error_code"] != "RESOURCE_DOES_NOT_EXIST" || !strings.Contains(e["message"].(string), "Logged model") {
		t.Errorf("missing logged model: %v", e)
	}
	api("GET", "model-versions/get?name=b&version=2", "", http.StatusNotFound)
}

// TestRunsSearchModelOutputs checks that runs/search answers each run's
// own logged-model inputs and outputs (MLflow 3), read for the whole page
// at once.
func TestRunsSearchModelOutputs(t *testing.T) {
	ts := httptest.NewServer(newServer(t).Handler())
	defer ts.Close()
	post := func(path, body string) map[string]any {
		t.Helper()
		code, got := call(t, ts.URL, "POST", "/api/2.0/mlflow/"+path, "application/json", body)
		var v map[string]any
		if code != http.StatusOK || json.Unmarshal([]byte(got), &v) != nil {
			t.Fatalf("POST %s: %d %s", path, code, got)
		}
		return v
	}
	want := map[string]string{}
	for i := 0; i < 3; i++ {
		runID, _ := createRun(t, ts.URL, "0")
		m := post("logged-models", `{"experiment_id": "0", "name": "m", "source_run_id": "`+runID+`"}`)
		id := m["model"].(map[string]any)["info"].(map[string]any)["model_id"].(string)
		if i < 2 {
			post("runs/outputs", `{"run_id": "`+runID+`", "models": [{"model_id": "`+id+`", "step": `+string(rune('0'+i))+`}]}`)
			want[runID] = `{"model_outputs":[{"model_id":"` + id + `","step":` + string(rune('0'+i)) + `}]}`
		} else {
			post("runs/log-inputs", `{"run_id": "`+runID+`", "models": [{"model_id": "`+id+`"}]}`)
			want[runID] = `{}`
		}
	}
	got := post("runs/search", `{"experiment_ids": ["0"]}`)
	runs := got["runs"].([]any)
	if len(runs) != 3 {
		t.Fatalf("%d runs", len(runs))
	}
	for _, r := range runs {
		run := r.(map[string]any)
		id := run["info"].(map[string]any)["run_id"].(string)
		out, _ := json.Marshal(run["outputs"])
		if string(out) != want[id] {
			t.Errorf("run %s outputs %s, want %s", id, out, want[id])
		}
		in, _ := json.Marshal(run["inputs"])
		if hasInput := strings.Contains(string(in), "model_inputs"); hasInput != (want[id] == "{}") {
			t.Errorf("run %s inputs %s", id, in)
		}
	}
}

// TestMetricOfMissingModel checks that a metric naming a logged model that
// does not exist is refused before the run logs anything.
func TestMetricOfMissingModel(t *testing.T) {
	ts := httptest.NewServer(newServer(t).Handler())
	defer ts.Close()
	runID, _ := createRun(t, ts.URL, "0")
	const missing = "m-00000000000000000000000000000000"
	for path, body := range map[string]string{
		"runs/log-metric": `{"run_id": "` + runID + `", "key": "acc", "value": 1, "timestamp": 1, "model_id": "` + missing + `"}`,
		"runs/log-batch":  `{"run_id": "` + runID + `", "metrics": [{"key": "acc", "value": 1, "timestamp": 1, "step": 0, "model_id": "` + missing + `"}]}`,
		"runs/log-inputs": `{"run_id": "` + runID + `", "datasets": [{"dataset": {"name": "d", "digest": "x", "source_type": "local", "source": "s"}}], "models": [{"model_id": "` + missing + `"}]}`,
	} {
		code, got := call(t, ts.URL, "POST", "/api/2.0/mlflow/"+path, "application/json", body)
		if code != http.StatusNotFound || !strings.Contains(got, "RESOURCE_DOES_NOT_EXIST") {
			t.Errorf("%s: %d %s, want 404 RESOURCE_DOES_NOT_EXIST", path, code, got)
		}
	}
	code, got := call(t, ts.URL, "GET", "/api/2.0/mlflow/metrics/get-history?run_id="+runID+"&metric_key=acc", "", "")
	if code != http.StatusOK || strings.Contains(got, `"acc"`) {
		t.Errorf("the run logged the refused metric: %d %s", code, got)
	}
	code, got = call(t, ts.URL, "GET", "/api/2.0/mlflow/runs/get?run_id="+runID, "", "")
	if code != http.StatusOK || strings.Contains(got, "dataset_inputs") {
		t.Errorf("the run logged the refused inputs' dataset: %d %s", code, got)
	}
}
