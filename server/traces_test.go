package server_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/berthml/berth/server"
)

// createTraceExperiment creates an experiment through the REST API and
// returns its id.
func createTraceExperiment(t *testing.T, h http.Handler, name string) string {
	t.Helper()
	rec := doTrace(h, "POST", "/api/2.0/mlflow/experiments/create", `{"name": "`+name+`"}`)
	var out struct {
		ExperimentID string `json:"experiment_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.ExperimentID == "" {
		t.Fatalf("creating experiment: %d %s", rec.Code, rec.Body)
	}
	return out.ExperimentID
}

// TestOTLPFromGoSDK: a trace sent by the Go OpenTelemetry SDK's OTLP HTTP
// exporter, a real OTLP client, shows up with its spans through the v3
// routes: trace info, batchGet and search.
func TestOTLPFromGoSDK(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			h := newServerOn(t, b.open(t)).Handler()
			srv := httptest.NewServer(h)
			defer srv.Close()
			exp := createTraceExperiment(t, h, "otel-go")

			ctx := context.Background()
			exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"),
				otlptracehttp.WithHeaders(map[string]string{"X-Mlflow-Experiment-Id": exp}),
				otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
			if err != nil {
				t.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
			tracer := tp.Tracer("berth-test")
			ctx, root := tracer.Start(ctx, "agent")
			root.SetAttributes(attribute.String("mlflow.spanType", "AGENT"), attribute.Int("turns", 2))
			_, child := tracer.Start(ctx, "llm")
			child.SetAttributes(attribute.String("mlflow.spanType", "LLM"))
			child.RecordError(errBoom{})
			child.SetStatus(codes.Error, "boom")
			child.End()
			root.SetStatus(codes.Ok, "")
			root.End()
			if err := tp.Shutdown(context.Background()); err != nil {
				t.Fatalf("the exporter failed against berth: %v", err)
			}
			otelID := root.SpanContext().TraceID()
			id := "tr-" + hex.EncodeToString(otelID[:])

			rec := doTrace(h, "GET", "/api/3.0/mlflow/traces/"+id, "")
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"state": "OK"`) ||
				!strings.Contains(rec.Body.String(), `"mlflow.trace.spansLocation": "TRACKING_STORE"`) {
				t.Fatalf("GET trace info: %d %s", rec.Code, rec.Body)
			}
			rec = doTrace(h, "GET", "/api/3.0/mlflow/traces/batchGet?trace_ids="+id, "")
			var got struct {
				Traces []struct {
					Spans []struct {
						Name         string `json:"name"`
						ParentSpanID string `json:"parent_span_id"`
						Status       struct {
							Code string `json:"code"`
						} `json:"status"`
						Events []struct {
							Name string `json:"name"`
						} `json:"events"`
					} `json:"spans"`
				} `json:"traces"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got.Traces) != 1 || len(got.Traces[0].Spans) != 2 {
				t.Fatalf("batchGet: %d %s", rec.Code, rec.Body)
			}
			spans := got.Traces[0].Spans
			if spans[0].Name != "agent" || spans[0].ParentSpanID != "" || spans[1].Name != "llm" ||
				spans[1].ParentSpanID == "" || spans[1].Status.Code != "STATUS_CODE_ERROR" ||
				len(spans[1].Events) != 1 || spans[1].Events[0].Name != "exception" {
				t.Fatalf("spans: %+v", spans)
			}
			for _, filter := range []string{"span.type = 'LLM'", "trace.status = 'OK'", "span.name LIKE 'ag%'"} {
				rec = doTrace(h, "POST", "/api/3.0/mlflow/traces/search",
					`{"locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "`+exp+`"}}], "filter": "`+filter+`"}`)
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), id) {
					t.Fatalf("search %q: %d %s", filter, rec.Code, rec.Body)
				}
			}
		})
	}
}

type errBoom struct{}

func (errBoom) Error() string { return "boom" }

// TestOTLPBadInput: OTLP mistakes are 4xx with MLflow's error codes, never
// 5xx; an OTLP JSON body is read as well as protobuf.
func TestOTLPBadInput(t *testing.T) {
	h := newServer(t, server.WithBodyLimit(4096)).Handler()
	exp := createTraceExperiment(t, h, "otlp-bad")
	okJSON := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"3fa1b4266e9c7f28a294e8d544ce44da","spanId":"312bc8478d90d192","name":"s","startTimeUnixNano":"1000000","endTimeUnixNano":"3000000","status":{"code":1}}]}]}]}`
	tests := []struct {
		name, ct, body string
		headers        map[string]string
		status         int
		code           string
	}{
		{name: "json ok", ct: "application/json", body: okJSON, headers: map[string]string{"X-Mlflow-Experiment-Id": exp}, status: 200},
		{name: "by experiment name", ct: "application/json", body: okJSON, headers: map[string]string{"X-Mlflow-Experiment-Name": "otlp-bad"}, status: 200},
		{name: "malformed json", ct: "application/json", body: `{"resourceSpans":[`, headers: map[string]string{"X-Mlflow-Experiment-Id": exp}, status: 400, code: "INVALID_PARAMETER_VALUE"},
		{name: "malformed protobuf", ct: "application/x-protobuf", body: "\x0a\xff\xff\xff", headers: map[string]string{"X-Mlflow-Experiment-Id": exp}, status: 400, code: "INVALID_PARAMETER_VALUE"},
		{name: "no experiment header", ct: "application/json", body: okJSON, status: 400, code: "INVALID_PARAMETER_VALUE"},
		{name: "unknown experiment", ct: "application/json", body: okJSON, headers: map[string]string{"X-Mlflow-Experiment-Id": "999"}, status: 404, code: "RESOURCE_DOES_NOT_EXIST"},
		{name: "text body", ct: "text/plain", body: okJSON, headers: map[string]string{"X-Mlflow-Experiment-Id": exp}, status: 400, code: "INVALID_PARAMETER_VALUE"},
		{name: "gzip", ct: "application/json", body: okJSON, headers: map[string]string{"X-Mlflow-Experiment-Id": exp, "Content-Encoding": "gzip"}, status: 400, code: "INVALID_PARAMETER_VALUE"},
		{name: "oversize", ct: "application/json", body: okJSON + strings.Repeat(" ", 5000), headers: map[string]string{"X-Mlflow-Experiment-Id": exp}, status: 413, code: "REQUEST_LIMIT_EXCEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "http://berth.test/v1/traces", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.ct)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || tt.code != "" && !strings.Contains(rec.Body.String(), `"`+tt.code+`"`) {
				t.Fatalf("%d %s; want %d %s", rec.Code, rec.Body, tt.status, tt.code)
			}
		})
	}
	rec := doTrace(h, "GET", "/api/3.0/mlflow/traces/tr-3fa1b4266e9c7f28a294e8d544ce44da", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"execution_duration": "0.002s"`) {
		t.Fatalf("the JSON-exported trace: %d %s", rec.Code, rec.Body)
	}
	for _, target := range []string{"/api/3.0/mlflow/traces/tr-00000000000000000000000000000000",
		"/api/2.0/mlflow/traces/tr-00000000000000000000000000000000/info"} {
		rec = doTrace(h, "GET", target, "")
		if rec.Code != 404 || !strings.Contains(rec.Body.String(), `"RESOURCE_DOES_NOT_EXIST"`) ||
			!strings.Contains(rec.Body.String(), "Trace with ID 'tr-00000000000000000000000000000000' not found.") {
			t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
		}
	}
}

// FuzzTraceRoutes sends any body to the trace routes, against a server that
// holds a trace and an assessment, so that the parsers past the JSON
// decoding (trace info times and durations, filters, page tokens,
// assessment bodies and update masks, OTLP) see the input: the answer is
// never a 5xx.
func FuzzTraceRoutes(f *testing.F) {
	h := newServer(f).Handler()
	const id = "tr-3fa1b4266e9c7f28a294e8d544ce44da"
	start := `{"trace": {"trace_info": {"trace_id": "` + id + `", "trace_location": {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "0"}}, "request_time": "2026-12-06T21:35:32.499Z", "execution_duration": "0.189s", "state": "OK", "tags": {"a": "b"}}}}`
	if rec := doTrace(h, "POST", "/api/3.0/mlflow/traces", start); rec.Code != 200 {
		f.Fatalf("start: %d %s", rec.Code, rec.Body)
	}
	rec := doTrace(h, "POST", "/api/3.0/mlflow/traces/"+id+"/assessments", `{"assessment": {"assessment_name": "x", "feedback": {"value": 1}}}`)
	var a struct {
		Assessment struct {
			ID string `json:"assessment_id"`
		} `json:"assessment"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Assessment.ID == "" {
		f.Fatalf("assessment: %d %s", rec.Code, rec.Body)
	}
	routes := []struct{ method, path, ct string }{
		{"POST", "/api/3.0/mlflow/traces", "application/json"},
		{"POST", "/api/3.0/mlflow/traces/search", "application/json"},
		{"POST", "/api/3.0/mlflow/traces/" + id + "/assessments", "application/json"},
		{"PATCH", "/api/3.0/mlflow/traces/" + id + "/assessments/" + a.Assessment.ID, "application/json"},
		{"POST", "/api/2.0/mlflow/traces/delete-traces", "application/json"},
		{"PATCH", "/api/2.0/mlflow/traces/" + id + "/tags", "application/json"},
		{"POST", "/api/3.0/mlflow/traces/link-to-run", "application/json"},
		{"GET", "/api/2.0/mlflow/traces", ""},
		{"POST", "/api/2.0/mlflow/traces", "application/json"},
		{"PATCH", "/api/2.0/mlflow/traces/" + id, "application/json"},
		{"POST", "/v1/traces", "application/json"},
		{"POST", "/v1/traces", "application/x-protobuf"},
	}
	for i, b := range []string{start,
		`{"locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "0"}}], "filter": "tags.a = 'b'", "order_by": ["timestamp_ms ASC"], "page_token": "eyJvZmZzZXQiOiAxfQ=="}`,
		`{"assessment": {"assessment_name": "y", "expectation": {"value": "s"}, "create_time": "2026-01-01T00:00:00Z"}}`,
		`{"assessment": {"assessment_name": "z", "feedback": {"value": false}}, "update_mask": "assessmentName,feedback"}`,
		`{"experiment_id": "0", "max_timestamp_millis": 5, "max_traces": 1}`,
		`{"key": "k", "value": "v"}`,
		`{"trace_ids": ["` + id + `"], "run_id": "x"}`,
		`experiment_ids=0&filter=trace.status%3D%27OK%27`,
		`{"experiment_id": "0", "timestamp_ms": 5, "tags": [{"key": "a", "value": "b"}]}`,
		`{"timestamp_ms": 9, "status": "OK"}`,
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"3fa1b4266e9c7f28a294e8d544ce44da","spanId":"312bc8478d90d192"}]}]}]}`,
		"\x0a\x02\x12\x00",
	} {
		f.Add(uint8(i), b)
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		r := routes[int(route)%len(routes)]
		target := r.path
		var req *http.Request
		if r.method == "GET" {
			req = httptest.NewRequest("GET", "http://berth.test"+target+"?"+url.PathEscape(body), nil)
			if u, err := url.ParseQuery(body); err == nil {
				req.URL.RawQuery = u.Encode()
			}
		} else {
			req = httptest.NewRequest(r.method, "http://berth.test"+target, strings.NewReader(body))
			req.Header.Set("Content-Type", r.ct)
			req.Header.Set("X-Mlflow-Experiment-Id", "0")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s body %q = %d %s", r.method, target, body, rec.Code, rec.Body)
		}
	})
}

// TestTraceV2AndLink: MLflow 2's StartTrace, EndTrace, GetTraceInfo and
// SearchTraces, which MLflow 2.x clients use (their spans then go to
// traces.json under mlflow.artifactLocation), and link-to-run.
func TestTraceV2AndLink(t *testing.T) {
	h := newServer(t).Handler()
	exp := createTraceExperiment(t, h, "v2")
	rec := doTrace(h, "POST", "/api/2.0/mlflow/traces", `{"experiment_id": "`+exp+`", "timestamp_ms": 1700000000000,
		"request_metadata": [{"key": "mlflow.traceInputs", "value": "{}"}], "tags": [{"key": "a", "value": "b"}]}`)
	var started struct {
		TraceInfo struct {
			RequestID string `json:"request_id"`
			Status    string `json:"status"`
			Tags      []struct{ Key, Value string }
		} `json:"trace_info"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &started); err != nil || rec.Code != 200 || started.TraceInfo.Status != "IN_PROGRESS" {
		t.Fatalf("StartTrace: %d %s", rec.Code, rec.Body)
	}
	id := started.TraceInfo.RequestID
	for _, tag := range started.TraceInfo.Tags {
		if tag.Key == "mlflow.trace.spansLocation" {
			t.Fatalf("a v2 trace without spans says its spans are in the tracking store: %s", rec.Body)
		}
	}
	rec = doTrace(h, "PATCH", "/api/2.0/mlflow/traces/"+id, `{"timestamp_ms": 1700000000250, "status": "ERROR", "tags": [{"key": "c", "value": "d"}]}`)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"execution_time_ms": 250`) || !strings.Contains(rec.Body.String(), `"status": "ERROR"`) {
		t.Fatalf("EndTrace: %d %s", rec.Code, rec.Body)
	}
	rec = doTrace(h, "GET", "/api/2.0/mlflow/traces/"+id+"/info", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"key": "c"`) || !strings.Contains(rec.Body.String(), `"key": "a"`) {
		t.Fatalf("GetTraceInfo: %d %s", rec.Code, rec.Body)
	}
	rec = doTrace(h, "GET", "/api/2.0/mlflow/traces?experiment_ids="+exp+"&filter=tags.c%20%3D%20%27d%27", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), id) {
		t.Fatalf("SearchTraces: %d %s", rec.Code, rec.Body)
	}
	rec = doTrace(h, "PATCH", "/api/2.0/mlflow/traces/"+id, `{"timestamp_ms": 1, "status": "DONE"}`)
	if rec.Code != 400 {
		t.Fatalf("EndTrace with a bad status: %d %s", rec.Code, rec.Body)
	}

	rec = doTrace(h, "POST", "/api/2.0/mlflow/runs/create", `{"experiment_id": "`+exp+`"}`)
	var run struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &run); err != nil || run.Run.Info.RunID == "" {
		t.Fatalf("runs/create: %d %s", rec.Code, rec.Body)
	}
	if rec = doTrace(h, "POST", "/api/3.0/mlflow/traces/link-to-run", `{"trace_ids": ["`+id+`"], "run_id": "`+run.Run.Info.RunID+`"}`); rec.Code != 200 {
		t.Fatalf("link-to-run: %d %s", rec.Code, rec.Body)
	}
	rec = doTrace(h, "POST", "/api/3.0/mlflow/traces/search", `{"locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "`+exp+`"}}],
		"filter": "attribute.run_id = '`+run.Run.Info.RunID+`'"}`)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), id) {
		t.Fatalf("search by run_id after link-to-run: %d %s", rec.Code, rec.Body)
	}
	for _, c := range []struct{ body, code string }{
		{`{"trace_ids": ["tr-00000000000000000000000000000000"], "run_id": "` + run.Run.Info.RunID + `"}`, "RESOURCE_DOES_NOT_EXIST"},
		{`{"trace_ids": ["` + id + `"], "run_id": "0123456789abcdef0123456789abcdef"}`, "RESOURCE_DOES_NOT_EXIST"},
		{`{"trace_ids": ["` + id + `"]}`, "INVALID_PARAMETER_VALUE"},
	} {
		if rec = doTrace(h, "POST", "/api/3.0/mlflow/traces/link-to-run", c.body); !strings.Contains(rec.Body.String(), c.code) {
			t.Fatalf("link-to-run %s: %d %s, want %s", c.body, rec.Code, rec.Body, c.code)
		}
	}
}
