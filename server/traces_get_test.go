package server_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestGetTraceV3: GET /api/3.0/mlflow/traces/get?trace_id= (MLflow's
// GetTrace, which its TypeScript client calls) answers the trace's info with
// the spans the server holds; an unknown trace is 404 with MLflow's message
// and a missing trace_id 400.
func TestGetTraceV3(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			h := newServerOn(t, b.open(t)).Handler()
			exp := createTraceExperiment(t, h, "get-trace")
			body := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"3fa1b4266e9c7f28a294e8d544ce44da","spanId":"312bc8478d90d192",` +
				`"name":"root","startTimeUnixNano":"1000000","endTimeUnixNano":"3000000","status":{"code":1}}]}]}]}`
			req := httptest.NewRequest("POST", "http://berth.test/v1/traces", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Mlflow-Experiment-Id", exp)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("OTLP: %d %s", rec.Code, rec.Body)
			}
			tests := []struct {
				name, target string
				status       int
				want         []string
			}{
				{"with spans", "/api/3.0/mlflow/traces/get?trace_id=tr-3fa1b4266e9c7f28a294e8d544ce44da", 200,
					[]string{`"trace_id": "tr-3fa1b4266e9c7f28a294e8d544ce44da"`, `"spans": [`, `"name": "root"`}},
				{"ajax prefix, allow_partial", "/ajax-api/3.0/mlflow/traces/get?trace_id=tr-3fa1b4266e9c7f28a294e8d544ce44da&allow_partial=true", 200,
					[]string{`"spans": [`}},
				{"unknown trace", "/api/3.0/mlflow/traces/get?trace_id=tr-00000000000000000000000000000000", 404,
					[]string{`"RESOURCE_DOES_NOT_EXIST"`, "Trace with ID 'tr-00000000000000000000000000000000' not found."}},
				{"no trace_id", "/api/3.0/mlflow/traces/get", 400, []string{`"INVALID_PARAMETER_VALUE"`, "trace_id"}},
			}
			for _, tt := range tests {
				rec := doTrace(h, "GET", tt.target, "")
				if rec.Code != tt.status {
					t.Errorf("%s: %d %s, want %d", tt.name, rec.Code, rec.Body, tt.status)
					continue
				}
				for _, w := range tt.want {
					if !strings.Contains(rec.Body.String(), w) {
						t.Errorf("%s: %s lacks %s", tt.name, rec.Body, w)
					}
				}
			}
		})
	}
}
