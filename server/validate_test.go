package server_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

// TestMissingParameters sends every route a request without a required
// parameter (the others present) and checks MLflow's answer: 400
// INVALID_PARAMETER_VALUE naming that parameter, in MLflow's words, before
// the store is asked anything.
func TestMissingParameters(t *testing.T) {
	srv := httptest.NewServer(newServer(t).Handler())
	defer srv.Close()
	const js = "application/json"
	cases := []struct {
		method, path, body, param string
	}{
		{"POST", "/api/2.0/mlflow/experiments/create", `{}`, "name"},
		{"GET", "/api/2.0/mlflow/experiments/get", "", "experiment_id"},
		{"GET", "/api/2.0/mlflow/experiments/get-by-name", "", "experiment_name"},
		{"POST", "/api/2.0/mlflow/experiments/update", `{"experiment_id":"0"}`, "new_name"},
		{"POST", "/api/2.0/mlflow/experiments/delete", `{}`, "experiment_id"},
		{"POST", "/api/2.0/mlflow/experiments/restore", `{}`, "experiment_id"},
		{"POST", "/api/2.0/mlflow/experiments/set-experiment-tag", `{"experiment_id":"0","value":"v"}`, "key"},
		{"POST", "/api/2.0/mlflow/experiments/delete-tag", `{"key":"k"}`, "experiment_id"},
		{"GET", "/api/2.0/mlflow/runs/get?run_uuid=", "", "run_id"},
		{"POST", "/api/2.0/mlflow/runs/update", `{"status":"FINISHED"}`, "run_id"},
		{"POST", "/api/2.0/mlflow/runs/delete", `{}`, "run_id"},
		{"POST", "/api/2.0/mlflow/runs/restore", `{}`, "run_id"},
		{"POST", "/api/2.0/mlflow/runs/log-metric", `{"run_uuid":"r","key":"m","timestamp":1}`, "value"},
		{"POST", "/api/2.0/mlflow/runs/log-metric", `{"run_id":"r","key":"m","value":1}`, "timestamp"},
		{"POST", "/api/2.0/mlflow/runs/log-parameter", `{"run_id":"r","value":"v"}`, "key"},
		{"POST", "/api/2.0/mlflow/runs/log-batch", `{"metrics":[]}`, "run_id"},
		{"POST", "/api/2.0/mlflow/runs/log-model", `{"run_id":"r"}`, "model_json"},
		{"POST", "/api/2.0/mlflow/runs/log-inputs", `{}`, "run_id"},
		{"POST", "/api/2.0/mlflow/runs/set-tag", `{"key":"k","value":"v"}`, "run_id"},
		{"POST", "/api/2.0/mlflow/runs/delete-tag", `{"run_id":"r"}`, "key"},
		{"GET", "/api/2.0/mlflow/metrics/get-history?run_id=r", "", "metric_key"},
		{"GET", "/api/2.0/mlflow/artifacts/list?path=model", "", "run_id"},
		{"POST", "/api/2.0/mlflow/registered-models/create", `{}`, "name"},
		{"GET", "/api/2.0/mlflow/registered-models/get", "", "name"},
		{"POST", "/api/2.0/mlflow/registered-models/rename", `{"name":"m"}`, "new_name"},
		{"PATCH", "/api/2.0/mlflow/registered-models/update", `{"description":"d"}`, "name"},
		{"DELETE", "/api/2.0/mlflow/registered-models/delete", `{}`, "name"},
		{"GET", "/api/2.0/mlflow/registered-models/get-latest-versions", "", "name"},
		{"POST", "/api/2.0/mlflow/registered-models/set-tag", `{"name":"m"}`, "key"},
		{"DELETE", "/api/2.0/mlflow/registered-models/delete-tag", `{"key":"k"}`, "name"},
		{"POST", "/api/2.0/mlflow/registered-models/alias", `{"name":"m","alias":"a"}`, "version"},
		{"DELETE", "/api/2.0/mlflow/registered-models/alias", `{"name":"m"}`, "alias"},
		{"GET", "/api/2.0/mlflow/registered-models/alias?alias=a", "", "name"},
		{"POST", "/api/2.0/mlflow/model-versions/create", `{"name":"m"}`, "source"},
		{"GET", "/api/2.0/mlflow/model-versions/get?name=m", "", "version"},
		{"PATCH", "/api/2.0/mlflow/model-versions/update", `{"version":"1"}`, "name"},
		{"DELETE", "/api/2.0/mlflow/model-versions/delete", `{"name":"m"}`, "version"},
		{"POST", "/api/2.0/mlflow/model-versions/transition-stage", `{"name":"m","version":"1"}`, "stage"},
		{"POST", "/api/2.0/mlflow/model-versions/set-tag", `{"name":"m","key":"k"}`, "version"},
		{"DELETE", "/api/2.0/mlflow/model-versions/delete-tag", `{"name":"m","version":"1"}`, "key"},
		{"GET", "/api/2.0/mlflow/model-versions/get-download-uri?version=1", "", "name"},
		{"GET", "/get-artifact?path=model/MLmodel", "", "run_id"},
		{"GET", "/model-versions/get-artifact?name=m&path=MLmodel", "", "version"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			ct := ""
			if c.method != "GET" {
				ct = js
			}
			status, body := call(t, srv.URL, c.method, c.path, ct, c.body)
			var e struct {
				ErrorCode string `json:"error_code"`
				Message   string `json:"message"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("not MLflow's error JSON: %s", body)
			}
			want := "Missing value for required parameter '" + c.param + "'. See the API docs for more information about request parameters."
			if status != 400 || e.ErrorCode != "INVALID_PARAMETER_VALUE" || e.Message != want {
				t.Errorf("%d %s %q, want 400 INVALID_PARAMETER_VALUE %q", status, e.ErrorCode, e.Message, want)
			}
		})
	}
}
