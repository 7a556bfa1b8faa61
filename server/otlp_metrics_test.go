package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/berthml/berth/server"
	"github.com/berthml/berth/server/servertest"
)

// TestSpanBatchMetrics: OTLP span writes are counted (requests, spans,
// transactions) on /metrics; two requests sent one after the other are
// two transactions.
func TestSpanBatchMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	ts := servertest.New(t, server.WithMetrics(reg, reg))
	resp, err := http.Post(ts.URL+"/api/2.0/mlflow/experiments/create", "application/json", strings.NewReader(`{"name": "metrics"}`))
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ExperimentID string `json:"experiment_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for i, n := range []int{1, 3} {
		var spans []string
		for j := 0; j < n; j++ {
			spans = append(spans, fmt.Sprintf(`{"traceId":"%032x","spanId":"%016x","name":"s","startTimeUnixNano":"1000000","endTimeUnixNano":"3000000"}`, i+1, 10*i+j+1))
		}
		req, _ := http.NewRequest("POST", ts.URL+"/v1/traces", strings.NewReader(`{"resourceSpans":[{"scopeSpans":[{"spans":[`+strings.Join(spans, ",")+`]}]}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Mlflow-Experiment-Id", created.ExperimentID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	want := `
# HELP berth_traces_span_write_requests_total OTLP span write requests stored or refused.
# TYPE berth_traces_span_write_requests_total counter
berth_traces_span_write_requests_total 2
# HELP berth_traces_span_write_transactions_total Store transactions that wrote OTLP span write requests, gathered.
# TYPE berth_traces_span_write_transactions_total counter
berth_traces_span_write_transactions_total 2
# HELP berth_traces_spans_written_total Spans in OTLP span write requests stored or refused.
# TYPE berth_traces_spans_written_total counter
berth_traces_spans_written_total 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "berth_traces_span_write_requests_total",
		"berth_traces_span_write_transactions_total", "berth_traces_spans_written_total"); err != nil {
		t.Error(err)
	}
}
