package server_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

const promptlabPath = "/ajax-api/2.0/mlflow/runs/create-promptlab-run"

const promptlabOK = `{"experiment_id": "0", "prompt_template": "Hi {{ name }}", "prompt_parameters": [{"key": "name", "value": "Ann"}],
	"model_route": "chat", "model_input": "Hi Ann", "mlflow_version": "2.17.2"`

// TestCreatePromptlabRunRejects: the checks beyond the recorded ones, each
// a 400 naming the field, and no run left behind.
func TestCreatePromptlabRunRejects(t *testing.T) {
	srv := httptest.NewServer(newServer(t).Handler())
	defer srv.Close()
	tests := []struct {
		name, extra, want string
	}{
		{"tags object", `, "tags": {"team": "nlp"}`, "tags"},
		{"tags without key", `, "tags": [{"value": "x"}]`, "tags"},
		{"prompt value not a string", `, "prompt_parameters": [{"key": "name", "value": 5}]`, "prompt_parameters"},
		{"model parameter without value", `, "model_parameters": [{"key": "temperature"}]`, "model_parameters"},
		{"model_output a number", `, "model_output": 5`, "model_output"},
		{"start_time a string", `, "start_time": "yesterday"`, "start_time"},
		{"route an object", `, "model_route": {"a": 1}`, "model_route"},
		{"not an object", ``, "JSON object"},
	}
	for _, tt := range tests {
		body := promptlabOK + tt.extra + "}"
		if tt.name == "not an object" {
			body = `[1, 2]`
		}
		status, out := call(t, srv.URL, "POST", promptlabPath, "application/json", body)
		if status != 400 || !strings.Contains(out, "INVALID_PARAMETER_VALUE") || !strings.Contains(out, tt.want) {
			t.Errorf("%s: %d %s, want 400 naming %s", tt.name, status, out, tt.want)
		}
	}
	_, out := call(t, srv.URL, "POST", "/api/2.0/mlflow/runs/search", "application/json", `{"experiment_ids": ["0"], "run_view_type": "ALL"}`)
	if strings.Contains(out, "run_id") {
		t.Errorf("a refused call left a run: %s", out)
	}
	// A list of tags is set on the run (MLflow 2.17.2 answers 500).
	status, out := call(t, srv.URL, "POST", promptlabPath, "application/json",
		promptlabOK+`, "tags": [{"key": "team", "value": "nlp"}], "model_parameters": [{"key": "stop", "value": ["END", "it's"]}]}`)
	if status != 200 || !strings.Contains(out, `"value": "nlp"`) || !strings.Contains(out, `"value": "['END', \"it's\"]"`) {
		t.Errorf("tags list: %d %s", status, out)
	}
}

// FuzzCreatePromptlabRun: whatever the body, the answer is never a 5xx.
func FuzzCreatePromptlabRun(f *testing.F) {
	f.Add(promptlabOK + "}")
	f.Add(promptlabOK + `, "tags": [{"key": "a", "value": "b"}], "model_parameters": [{"key": "t", "value": [1e400, null, {"a": true}]}]}`)
	f.Add(`{}`)
	f.Add(`{"experiment_id": 0}`)
	f.Add(`{"experiment_id": "x", "prompt_template": "{{", "prompt_parameters": [{}], "model_route": 1, "model_input": [], "mlflow_version": true}`)
	f.Add(`null`)
	srv := httptest.NewServer(newServer(f).Handler())
	defer srv.Close()
	f.Fuzz(func(t *testing.T, body string) {
		status, out := call(t, srv.URL, "POST", promptlabPath, "application/json", body)
		if status >= 500 {
			t.Fatalf("%q: %d %s", body, status, out)
		}
	})
}
