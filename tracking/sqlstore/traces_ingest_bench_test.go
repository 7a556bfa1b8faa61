package sqlstore_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking/sqlstore"
)

// BenchmarkLogSpans measures what a tracing.Batcher's gathered write costs
// SQLite (synchronous=NORMAL, berth server's default): each LogSpans call
// holds 16 spans, one per client request, as 16 concurrent one-span
// requests are gathered into one transaction. spans/s is reported.
//
//   - new-traces: each span is a one-span trace of its own (tracebench's
//     shape);
//   - 4-span-traces: each span belongs to one of 16 traces in flight, of 4
//     spans sent one at a time, children first and the root last (MLflow's
//     exporter's shape), so three calls in four add spans to traces that
//     exist.
//
// Trace ids are random, as MLflow's client makes them, and each span's
// inputs differ.
func BenchmarkLogSpans(b *testing.B) {
	ctx := context.Background()
	const perCall = 16
	for _, shape := range []struct {
		name  string
		spans int // spans per trace
	}{{"new-traces", 1}, {"4-span-traces", 4}} {
		b.Run(shape.name, func(b *testing.B) {
			s, _ := benchStore(b, sqlstore.WithSQLiteSynchronous("NORMAL"))
			rng := rand.New(rand.NewPCG(1, 2))
			traces := make([]string, perCall)
			newTrace := func(i int) {
				var id [16]byte
				binary.LittleEndian.PutUint64(id[:], rng.Uint64())
				binary.LittleEndian.PutUint64(id[8:], rng.Uint64())
				traces[i] = fmt.Sprintf("tr-%x", id)
			}
			for i := range traces {
				newTrace(i)
			}
			calls := make([][]tracing.Span, shape.spans)
			for k := range calls {
				// The k-th span of each trace; the last is the root.
				for i := 0; i < perCall; i++ {
					calls[k] = append(calls[k], benchSpan(k, k == shape.spans-1))
				}
			}
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				k := n % shape.spans
				if k == 0 && n > 0 {
					for i := range traces {
						newTrace(i)
					}
				}
				spans := calls[k]
				for i := range spans {
					// The trace's id and inputs of its own, as a client's.
					spans[i].TraceID = traces[i]
					spans[i].Attributes[0].Value = `"` + traces[i] + `"`
					spans[i].Attributes[3].Value = fmt.Sprintf(`{"question": "which species is %d?"}`, n*perCall+i)
				}
				if err := s.LogSpans(ctx, "0", spans); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*perCall)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}

// benchSpan is the k-th span of a trace as MLflow 3.6's client exports it:
// its attributes (the trace's id, type, inputs, outputs, function name) and
// its OTLP JSON content.
func benchSpan(k int, root bool) tracing.Span {
	parent := "00000000000000ff"
	if root {
		parent = ""
	}
	sid := fmt.Sprintf("%016x", k+1)
	start := int64(1_700_000_000_000_000_000) + int64(k)*1e6
	return tracing.Span{SpanID: sid, ParentSpanID: parent, Name: "predict", Type: "LLM", Status: "STATUS_CODE_OK",
		StartNanos: start, EndNanos: start + 3e6,
		Inputs: `{"question": "which species?"}`, Outputs: `"setosa"`,
		Attributes: []tracing.Attribute{
			{Key: "mlflow.traceRequestId", Value: `"tr-0123456789abcdef0123456789abcdef"`},
			{Key: "mlflow.spanType", Value: `"LLM"`},
			{Key: "mlflow.spanFunctionName", Value: `"predict"`},
			{Key: "mlflow.spanInputs", Value: `{"question": "which species?"}`},
			{Key: "mlflow.spanOutputs", Value: `"setosa"`},
		},
		Content: []byte(`{"trace_id":"ASNFZ4mrze8BI0VniavN7w==","span_id":"AAAAAAAAAAE=","name":"predict",` +
			`"start_time_unix_nano":1700000000000000000,"end_time_unix_nano":1700000000003000000,"attributes":[` +
			`{"key":"mlflow.traceRequestId","value":{"string_value":"\"tr-0123456789abcdef0123456789abcdef\""}},` +
			`{"key":"mlflow.spanType","value":{"string_value":"\"LLM\""}},` +
			`{"key":"mlflow.spanFunctionName","value":{"string_value":"\"predict\""}},` +
			`{"key":"mlflow.spanInputs","value":{"string_value":"{\"question\": \"which species?\"}"}},` +
			`{"key":"mlflow.spanOutputs","value":{"string_value":"\"setosa\""}}],"status":{"code":"STATUS_CODE_OK"}}`),
	}
}
