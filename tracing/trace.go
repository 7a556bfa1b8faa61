package tracing

import (
	"context"
	"encoding/json"
)

// Trace states, TraceInfo.State (MLflow's TraceState enum names).
const (
	StateUnspecified = "STATE_UNSPECIFIED"
	StateOK          = "OK"
	StateError       = "ERROR"
	StateInProgress  = "IN_PROGRESS"
)

// Tags and metadata keys the server itself reads or writes.
const (
	// TagArtifactLocation is where a client that keeps spans as an artifact
	// uploads traces.json.
	TagArtifactLocation = "mlflow.artifactLocation"
	// TagSpansLocation says where the spans are; the server sets it to
	// SpansInTrackingStore once it holds spans of the trace.
	TagSpansLocation = "mlflow.trace.spansLocation"
	// SpansInTrackingStore is TagSpansLocation's value for spans the server
	// received over OTLP.
	SpansInTrackingStore = "TRACKING_STORE"
	// TagTraceName is the trace's name (search's attribute name).
	TagTraceName = "mlflow.traceName"
	// MetaSourceRun links a trace to a run (search's attribute run_id).
	MetaSourceRun = "mlflow.sourceRun"
)

// TraceInfo is a trace's header: everything but its spans.
type TraceInfo struct {
	TraceID         string // "tr-" + 32 hex digits
	ExperimentID    string
	ClientRequestID string
	RequestTime     int64 // milliseconds since the epoch
	Duration        int64 // execution duration, milliseconds
	State           string
	RequestPreview  string
	ResponsePreview string
	Metadata        map[string]string
	Tags            map[string]string
	Assessments     []Assessment
}

// Span is one stored span: the columns search and the tree need, and
// Content, the span as MLflow's batchGet answers it (OTLP JSON with proto
// field names).
type Span struct {
	TraceID      string // "tr-..." of the trace it belongs to
	SpanID       string // 16 hex digits
	ParentSpanID string // "" for a root span
	Name         string
	Type         string // the mlflow.spanType attribute
	Status       string // STATUS_CODE_OK, STATUS_CODE_ERROR, STATUS_CODE_UNSET
	StartNanos   int64
	EndNanos     int64
	Content      json.RawMessage
	// Inputs and Outputs are a root span's AttrSpanInputs and
	// AttrSpanOutputs, which give a trace made from its spans its previews;
	// decoders set them on root spans only, and stores do not read them back.
	Inputs, Outputs string
	// Attributes are the span's attributes as text (a string attribute's
	// string, any other value its JSON), each key once, for span.attributes
	// filters; decoders set them, and stores index them without reading
	// them back (Content has the attributes as sent).
	Attributes []Attribute
}

// Attribute is one span attribute as text.
type Attribute struct{ Key, Value string }

// Assessment is a feedback or an expectation logged on a trace. Feedback,
// Expectation and Metadata are kept as the client sent them.
type Assessment struct {
	ID             string // "a-" + 32 hex digits
	TraceID        string
	Name           string
	CreateTime     int64  // milliseconds
	LastUpdateTime int64  // milliseconds
	Kind           string // "feedback" or "expectation"
	Value          string // the JSON of its value, for search
	Body           json.RawMessage
}

// SearchRequest is a parsed traces/search request.
type SearchRequest struct {
	ExperimentIDs []string
	Filter        []Condition
	OrderBy       []Order
	MaxResults    int
	Offset        int
}

// Store keeps traces. tracking/sqlstore implements it beside
// tracking.Store; the server finds it by a type assertion.
type Store interface {
	// StartTrace creates or completes a trace: fields it sends replace the
	// stored ones, its tags and metadata are merged over stored ones.
	StartTrace(ctx context.Context, info TraceInfo) (TraceInfo, error)
	GetTraceInfo(ctx context.Context, traceID string) (TraceInfo, error)
	// GetTraces returns the traces that exist among ids, in ids' order,
	// with their spans.
	GetTraces(ctx context.Context, ids []string) ([]TraceInfo, map[string][]Span, error)
	SearchTraces(ctx context.Context, req SearchRequest) (infos []TraceInfo, next bool, err error)
	// DeleteTraces deletes the traces of experimentID that are in ids, or,
	// with ids empty, those older than olderThanMs (at most maxTraces of
	// them when maxTraces > 0); it returns how many went.
	DeleteTraces(ctx context.Context, experimentID string, ids []string, olderThanMs int64, maxTraces int) (int, error)
	// LinkTracesToRun records runID as the source run of traces that have
	// none (metadata mlflow.sourceRun, which search's run_id reads).
	LinkTracesToRun(ctx context.Context, traceIDs []string, runID string) error
	SetTraceTag(ctx context.Context, traceID, key, value string) error
	DeleteTraceTag(ctx context.Context, traceID, key string) error
	// LogSpans stores spans; a trace that does not exist yet is created in
	// experimentID from its spans.
	LogSpans(ctx context.Context, experimentID string, spans []Span) error
	CreateAssessment(ctx context.Context, a Assessment) (Assessment, error)
	GetAssessment(ctx context.Context, traceID, id string) (Assessment, error)
	UpdateAssessment(ctx context.Context, a Assessment) (Assessment, error)
	DeleteAssessment(ctx context.Context, traceID, id string) error
	// PurgeTracesBefore deletes every trace (rows, spans, assessments)
	// whose request time is before cutoffMs, for retention.
	PurgeTracesBefore(ctx context.Context, cutoffMs int64) (int, error)
}
