// Package gatewaytrace turns sampled gateway calls into MLflow 3 traces,
// written off the request path: [Tracer] is the gateway's
// [gateway.Tracer]; its Run loop batches the calls, builds one OTLP span
// per call and hands the OTLP export request to a [Sink]: [StoreSink]
// writes into a tracing store in the same process (berth server with a
// mounted gateway), [OTLPSink] posts to a tracking server's /v1/traces
// (a standalone berth gateway).
//
// Each call is one trace of one root span, as MLflow's gateway tracing
// records it: name "gateway/<endpoint>", mlflow.spanType CHAT_MODEL (chat),
// LLM (completions) or EMBEDDING (embeddings), mlflow.spanInputs the
// request and mlflow.spanOutputs the answer (so the trace's request and
// response previews are the last user message and the answer's text),
// mlflow.chat.tokenUsage {input_tokens, output_tokens, total_tokens}, and
// berth's gateway.endpoint / gateway.provider / gateway.model /
// gateway.path; a failed call has status ERROR with its (redacted) message.
// A stream's output is its text (choice 0, up to 64 KiB) in the unary
// answer's shape.
package gatewaytrace

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracing/otlp"
)

// Defaults of a Tracer.
const (
	DefaultQueue     = 4096                   // calls waiting to be written; more are dropped
	DefaultBatch     = 256                    // calls per export request
	DefaultFlush     = 500 * time.Millisecond // the longest a call waits to be written
	DefaultMaxIOSize = 64 << 10               // bytes of a request's or answer's JSON kept in a span
)

// Sink takes an OTLP ExportTraceServiceRequest (protobuf).
type Sink interface {
	Export(ctx context.Context, body []byte) error
}

// Tracer samples gateway calls at a rate and writes them through a Sink.
type Tracer struct {
	rate    float64
	sink    Sink
	q       chan gateway.CallTrace
	batch   int
	flush   time.Duration
	log     *slog.Logger
	dropped atomic.Int64
	written atomic.Int64
	failed  atomic.Int64
}

// Option configures New.
type Option func(*Tracer)

// WithLogger sets where export failures are logged. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(t *Tracer) { t.log = l } }

// WithFlush sets the longest a call waits in the queue. Default:
// DefaultFlush.
func WithFlush(d time.Duration) Option { return func(t *Tracer) { t.flush = d } }

// New returns a tracer that samples calls at rate (0: none, 1: every
// call) into sink. Call Run to write them.
func New(rate float64, sink Sink, opts ...Option) (*Tracer, error) {
	if rate < 0 || rate > 1 {
		return nil, fmt.Errorf("trace sample rate %v is not between 0 and 1", rate)
	}
	t := &Tracer{rate: rate, sink: sink, q: make(chan gateway.CallTrace, DefaultQueue), batch: DefaultBatch,
		flush: DefaultFlush, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(t)
	}
	return t, nil
}

var _ gateway.Tracer = (*Tracer)(nil)

// Sample reports whether the next call is traced.
func (t *Tracer) Sample() bool {
	return t.rate >= 1 || (t.rate > 0 && mrand.Float64() < t.rate)
}

// Trace queues a call; a full queue drops it (counted in Stats).
func (t *Tracer) Trace(c gateway.CallTrace) {
	select {
	case t.q <- c:
	default:
		t.dropped.Add(1)
	}
}

// Stats are a Tracer's counts so far.
type Stats struct{ Written, Dropped, Failed int64 }

// Stats returns the calls written, dropped on a full queue, and lost to
// failed exports.
func (t *Tracer) Stats() Stats {
	return Stats{Written: t.written.Load(), Dropped: t.dropped.Load(), Failed: t.failed.Load()}
}

// Run writes queued calls until ctx ends, then writes what is queued and
// returns.
func (t *Tracer) Run(ctx context.Context) {
	tick := time.NewTicker(t.flush)
	defer tick.Stop()
	var pending []gateway.CallTrace
	write := func(ctx context.Context) {
		if len(pending) == 0 {
			return
		}
		body, err := Build(pending)
		if err == nil {
			err = t.sink.Export(ctx, body)
		}
		if err != nil {
			t.failed.Add(int64(len(pending)))
			t.log.Warn("gateway traces not written", "traces", len(pending), "error", err)
		} else {
			t.written.Add(int64(len(pending)))
		}
		pending = pending[:0]
	}
	for {
		select {
		case c := <-t.q:
			pending = append(pending, c)
			if len(pending) >= t.batch {
				write(ctx)
			}
		case <-tick.C:
			write(ctx)
		case <-ctx.Done():
		drain:
			for {
				select {
				case c := <-t.q:
					pending = append(pending, c)
				default:
					break drain
				}
			}
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			write(wctx)
			cancel()
			return
		}
	}
}

// SpanType is MLflow's span type for an endpoint type.
func SpanType(endpointType string) string {
	switch endpointType {
	case deployments.TypeChat:
		return "CHAT_MODEL"
	case deployments.TypeCompletions:
		return "LLM"
	case deployments.TypeEmbeddings:
		return "EMBEDDING"
	}
	return "UNKNOWN"
}

// jsonString is v's JSON as MLflow writes attribute values: every value
// JSON-encoded, a string included.
func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return `null`
	}
	return string(b)
}

// ioJSON is a request's or answer's JSON, cut to DefaultMaxIOSize (as a
// JSON string then, so it still parses).
func ioJSON(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	if len(b) > DefaultMaxIOSize {
		return jsonString(string(b[:DefaultMaxIOSize]) + "...")
	}
	return string(b)
}

// Build renders calls as an OTLP export request (protobuf): one trace of
// one root span per call.
func Build(calls []gateway.CallTrace) ([]byte, error) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "berth-gateway")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("berth.gateway")
	for _, c := range calls {
		var tid [16]byte
		var sid [8]byte
		_, _ = rand.Read(tid[:])
		_, _ = rand.Read(sid[:])
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID(tid))
		sp.SetSpanID(pcommon.SpanID(sid))
		sp.SetName("gateway/" + c.Endpoint)
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(c.Start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(c.End))
		a := sp.Attributes()
		a.PutStr("mlflow.traceRequestId", jsonString(fmt.Sprintf("tr-%x", tid)))
		a.PutStr("mlflow.spanType", jsonString(SpanType(c.EndpointType)))
		a.PutStr("mlflow.spanInputs", ioJSON(c.Request))
		if c.Response != nil {
			a.PutStr("mlflow.spanOutputs", ioJSON(c.Response))
		}
		a.PutStr("mlflow.chat.tokenUsage", jsonString(map[string]int{"input_tokens": c.InputTokens,
			"output_tokens": c.OutputTokens, "total_tokens": c.InputTokens + c.OutputTokens}))
		a.PutStr("gateway.endpoint", jsonString(c.Endpoint))
		a.PutStr("gateway.endpoint_type", jsonString(c.EndpointType))
		a.PutStr("gateway.provider", jsonString(c.Provider))
		a.PutStr("gateway.model", jsonString(c.Model))
		a.PutStr("gateway.path", jsonString(c.Path))
		a.PutStr("gateway.stream", jsonString(c.Stream))
		if c.Error != "" {
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage(c.Error)
		} else {
			sp.Status().SetCode(ptrace.StatusCodeOk)
		}
	}
	return ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
}

// StoreSink writes traces into a tracing store in this process (decoded
// as the server's /v1/traces decodes them), in ExperimentID.
type StoreSink struct {
	Store        tracing.SpanLogger
	ExperimentID string
}

// Export decodes body and logs its spans.
func (s StoreSink) Export(ctx context.Context, body []byte) error {
	spans, err := otlp.Decode(body, otlp.ContentProtobuf)
	if err != nil {
		return err
	}
	return s.Store.LogSpans(ctx, s.ExperimentID, spans)
}

// OTLPSink posts traces to a tracking server's /v1/traces (MLflow 3's OTLP
// ingestion) with X-Mlflow-Experiment-Id.
type OTLPSink struct {
	TrackingURI  string // e.g. http://127.0.0.1:5000
	ExperimentID string
	Token        string       // sent as a bearer token when set
	Client       *http.Client // default: one with a 10 s timeout
}

// Export posts body.
func (s OTLPSink) Export(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.TrackingURI, "/")+"/v1/traces", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", otlp.ContentProtobuf)
	req.Header.Set("X-Mlflow-Experiment-Id", s.ExperimentID)
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("posting traces to %s: %w", s.TrackingURI, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("posting traces to %s: %s: %s", s.TrackingURI, resp.Status, bytes.TrimSpace(b))
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}
