package otlp_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracing/otlp"
)

const transcript = "../../testdata/conformance/mlflow3/mlflow3-rest-transcript.jsonl"

// recorded returns the transcript's OTLP request bodies and the spans its
// batchGet answers held, by base64 span id.
func recorded(t testing.TB) ([][]byte, map[string]json.RawMessage) {
	f, err := os.Open(transcript)
	if err != nil {
		t.Fatalf("the MLflow 3 transcript is missing: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var bodies [][]byte
	spans := map[string]json.RawMessage{}
	for sc.Scan() {
		var r struct {
			Path         string `json:"path"`
			RequestBody  json.RawMessage
			ResponseBody json.RawMessage `json:"response_body"`
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(raw["path"], &r.Path)
		switch r.Path {
		case "/v1/traces":
			var b struct{ Base64 string }
			_ = json.Unmarshal(raw["request_body"], &b)
			body, err := base64.StdEncoding.DecodeString(b.Base64)
			if err != nil {
				t.Fatal(err)
			}
			bodies = append(bodies, body)
		case "/api/3.0/mlflow/traces/batchGet":
			var resp struct {
				Traces []struct {
					Spans []json.RawMessage `json:"spans"`
				} `json:"traces"`
			}
			_ = json.Unmarshal(raw["response_body"], &resp)
			for _, tr := range resp.Traces {
				for _, s := range tr.Spans {
					var id struct {
						SpanID string `json:"span_id"`
					}
					_ = json.Unmarshal(s, &id)
					spans[id.SpanID] = s
				}
			}
		}
	}
	if len(bodies) == 0 {
		t.Fatal("no /v1/traces exchange in the transcript")
	}
	return bodies, spans
}

// TestDecodeMatchesMLflow: each span the MLflow 3.6 client exported decodes
// to the JSON the MLflow server answered in batchGet, field for field.
func TestDecodeMatchesMLflow(t *testing.T) {
	bodies, want := recorded(t)
	n := 0
	for _, body := range bodies {
		spans, err := otlp.Decode(body, "application/x-protobuf")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range spans {
			if s.TraceID[:3] != "tr-" || len(s.SpanID) != 16 || s.Type == "" {
				t.Errorf("span %+v: bad ids or type", s)
			}
			var got map[string]any
			_ = json.Unmarshal(s.Content, &got)
			w, ok := want[got["span_id"].(string)]
			if !ok {
				continue // a span of a trace the transcript never read back
			}
			var wm map[string]any
			_ = json.Unmarshal(w, &wm)
			if !reflect.DeepEqual(got, wm) {
				t.Errorf("span %s:\n got %s\nwant %s", s.Name, s.Content, w)
			}
			n++
		}
	}
	if n < 5 {
		t.Fatalf("compared %d spans, want at least 5", n)
	}
}

func TestDecode(t *testing.T) {
	okJSON := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"3fa1b4266e9c7f28a294e8d544ce44da",
		"spanId":"312bc8478d90d192","name":"s","kind":1,"startTimeUnixNano":"5","endTimeUnixNano":"9",
		"attributes":[{"key":"n","value":{"intValue":"7"}}],"status":{"code":2,"message":"boom"}}]}]}]}`
	tests := []struct {
		name, ct, body string
		spans          int
		bad            bool
		attrs          string // the span's Attributes, printed
	}{
		{name: "json", ct: "application/json", body: okJSON, spans: 1},
		{name: "a key sent twice: the last copy", ct: "application/json", spans: 1, attrs: "[{k b} {m [1, 2.5]}]",
			body: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"3fa1b4266e9c7f28a294e8d544ce44db","spanId":"312bc8478d90d192",
			"attributes":[{"key":"k","value":{"stringValue":"a"}},{"key":"m","value":{"arrayValue":{"values":[{"intValue":"1"},{"doubleValue":2.5}]}}},
			{"key":"k","value":{"stringValue":"b"}}]}]}]}]}`},
		{name: "json with charset", ct: "application/json; charset=utf-8", body: okJSON, spans: 1},
		{name: "empty request", ct: "application/json", body: `{}`, spans: 0},
		{name: "empty protobuf", ct: "application/x-protobuf", body: "", spans: 0},
		{name: "not json", ct: "application/json", body: "{", bad: true},
		{name: "bad trace id", ct: "application/json", body: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"312bc8478d90d192"}]}]}]}`, bad: true},
		{name: "no trace id", ct: "application/json", body: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"312bc8478d90d192","name":"x"}]}]}]}`, bad: true},
		{name: "no span id", ct: "application/json", body: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"3fa1b4266e9c7f28a294e8d544ce44da"}]}]}]}`, bad: true},
		{name: "garbage protobuf", ct: "application/x-protobuf", body: "\xff\xff\xff\xff", bad: true},
		{name: "unsupported type", ct: "text/plain", body: okJSON, bad: true},
		{name: "no type", ct: "", body: okJSON, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans, err := otlp.Decode([]byte(tt.body), tt.ct)
			var oe *otlp.Error
			if tt.bad {
				if !errors.As(err, &oe) {
					t.Fatalf("Decode = %v, %v; want an *otlp.Error", spans, err)
				}
				return
			}
			if err != nil || len(spans) != tt.spans {
				t.Fatalf("Decode = %d spans, %v; want %d", len(spans), err, tt.spans)
			}
			if tt.attrs != "" {
				if got := fmt.Sprint(spans[0].Attributes); got != tt.attrs {
					t.Fatalf("attributes %s, want %s", got, tt.attrs)
				}
				return
			}
			if tt.spans == 1 {
				s := spans[0]
				if s.TraceID != "tr-3fa1b4266e9c7f28a294e8d544ce44da" || s.Status != "STATUS_CODE_ERROR" || s.StartNanos != 5 {
					t.Fatalf("span %+v", s)
				}
				want := `{"trace_id":"P6G0Jm6cfyiilOjVRM5E2g==","span_id":"MSvIR42Q0ZI=","name":"s","kind":"SPAN_KIND_INTERNAL","start_time_unix_nano":5,"end_time_unix_nano":9,"attributes":[{"key":"n","value":{"int_value":7}}],"status":{"message":"boom","code":"STATUS_CODE_ERROR"}}`
				if string(s.Content) != want {
					t.Fatalf("content %s\nwant    %s", s.Content, want)
				}
				if fmt.Sprint(s.Attributes) != "[{n 7}]" {
					t.Fatalf("attributes %v, want [{n 7}]", s.Attributes)
				}
			}
		})
	}
}

// FuzzDecode: any body decodes or is an *otlp.Error; never a panic.
func FuzzDecode(f *testing.F) {
	bodies, _ := recorded(f)
	for _, b := range bodies {
		f.Add(b, true)
	}
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"3fa1b4266e9c7f28a294e8d544ce44da","spanId":"312bc8478d90d192"}]}]}]}`), false)
	f.Fuzz(func(t *testing.T, body []byte, proto bool) {
		ct := "application/json"
		if proto {
			ct = "application/x-protobuf"
		}
		spans, err := otlp.Decode(body, ct)
		if err != nil {
			var oe *otlp.Error
			if !errors.As(err, &oe) {
				t.Fatalf("Decode: %T %v", err, err)
			}
			return
		}
		for _, s := range spans {
			if !json.Valid(s.Content) || s.TraceID == "" || s.SpanID == "" {
				t.Fatalf("bad span %+v", s)
			}
		}
	})
}

// TestPreviewsMatchMLflow: for each root span the MLflow 3.6 client
// exported, the previews computed from its inputs and outputs are the ones
// the client itself sent in StartTraceV3, so a trace known only from its
// spans reads as it would had its client ended it.
func TestPreviewsMatchMLflow(t *testing.T) {
	bodies, _ := recorded(t)
	f, err := os.Open(transcript)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	type previews struct{ req, resp string }
	sent := map[string]previews{}
	for sc.Scan() {
		var x struct {
			Method, Path string
			RequestBody  struct {
				Trace struct {
					TraceInfo struct {
						TraceID         string `json:"trace_id"`
						RequestPreview  string `json:"request_preview"`
						ResponsePreview string `json:"response_preview"`
					} `json:"trace_info"`
				} `json:"trace"`
			} `json:"request_body"`
		}
		if json.Unmarshal(sc.Bytes(), &x) != nil || x.Method != "POST" || x.Path != "/api/3.0/mlflow/traces" {
			continue
		}
		ti := x.RequestBody.Trace.TraceInfo
		sent[ti.TraceID] = previews{ti.RequestPreview, ti.ResponsePreview}
	}
	n := 0
	for _, body := range bodies {
		spans, err := otlp.Decode(body, "application/x-protobuf")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range spans {
			if s.ParentSpanID != "" {
				if s.Inputs != "" || s.Outputs != "" {
					t.Errorf("child span %s carries inputs %q, outputs %q: only a root's are kept", s.Name, s.Inputs, s.Outputs)
				}
				continue
			}
			want, ok := sent[s.TraceID]
			if !ok {
				t.Errorf("root span %s of trace %s: no StartTraceV3 in the transcript", s.Name, s.TraceID)
				continue
			}
			got := previews{tracing.RequestPreview(s.Inputs), tracing.ResponsePreview(s.Outputs)}
			if got != want {
				t.Errorf("trace %s: previews %+v, the MLflow client sent %+v", s.TraceID, got, want)
			}
			n++
		}
	}
	if n < 4 {
		t.Fatalf("compared %d root spans, want the transcript's 4", n)
	}
}
