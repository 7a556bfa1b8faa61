// Package otlp decodes OTLP trace export requests (POST /v1/traces, as
// protobuf or JSON) into tracing.Span values, with the OpenTelemetry
// Collector's pdata, and renders each span as MLflow 3.6's batchGet answers
// it: the OTLP span in JSON with proto field names, base64 ids, enum names
// and int64 as numbers.
package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/berthml/berth/tracing"
)

// Body encodings of an export request.
const (
	ContentProtobuf = "application/x-protobuf"
	ContentJSON     = "application/json"
)

// attrTraceRequestID is the span attribute MLflow's client sets to the
// trace's "tr-..." id.
const attrTraceRequestID = "mlflow.traceRequestId"

// Error is a body that is not a valid OTLP export request.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// IsSupported reports whether contentType names an encoding Decode reads.
func IsSupported(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == ContentProtobuf || mt == ContentJSON)
}

// Decode decodes an ExportTraceServiceRequest in the encoding contentType
// names. A span without a trace id or span id is an *Error: it could be
// neither stored nor found.
func Decode(body []byte, contentType string) ([]tracing.Span, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, &Error{fmt.Sprintf("unsupported Content-Type %q: use %s or %s", contentType, ContentProtobuf, ContentJSON)}
	}
	req := ptraceotlp.NewExportRequest()
	switch mt {
	case ContentProtobuf:
		err = req.UnmarshalProto(body)
	case ContentJSON:
		err = req.UnmarshalJSON(body)
	default:
		return nil, &Error{fmt.Sprintf("unsupported Content-Type %q: use %s or %s", mt, ContentProtobuf, ContentJSON)}
	}
	if err != nil {
		return nil, &Error{"invalid OTLP export request: " + err.Error()}
	}
	var out []tracing.Span
	rss := req.Traces().ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s, err := convert(spans.At(k))
				if err != nil {
					return nil, err
				}
				out = append(out, s)
			}
		}
	}
	return out, nil
}

func convert(sp ptrace.Span) (tracing.Span, error) {
	if sp.TraceID().IsEmpty() {
		return tracing.Span{}, &Error{fmt.Sprintf("span %q has an empty trace_id", sp.Name())}
	}
	if sp.SpanID().IsEmpty() {
		return tracing.Span{}, &Error{fmt.Sprintf("span %q has an empty span_id", sp.Name())}
	}
	tid := sp.TraceID()
	traceID := "tr-" + hex.EncodeToString(tid[:])
	if v, ok := sp.Attributes().Get(attrTraceRequestID); ok && v.Type() == pcommon.ValueTypeStr && validTraceID(v.Str()) {
		traceID = v.Str()
	}
	spanType := ""
	if v, ok := sp.Attributes().Get("mlflow.spanType"); ok {
		spanType = strings.Trim(v.AsString(), `"`)
	}
	sid := sp.SpanID()
	s := tracing.Span{
		TraceID:    traceID,
		SpanID:     hex.EncodeToString(sid[:]),
		Name:       sp.Name(),
		Type:       spanType,
		Status:     statusName(sp.Status().Code()),
		StartNanos: int64(sp.StartTimestamp()),
		EndNanos:   int64(sp.EndTimestamp()),
	}
	s.Attributes = attributeTexts(sp.Attributes())
	if p := sp.ParentSpanID(); !p.IsEmpty() {
		s.ParentSpanID = hex.EncodeToString(p[:])
	} else {
		if v, ok := sp.Attributes().Get(tracing.AttrSpanInputs); ok {
			s.Inputs = ioJSON(v)
		}
		if v, ok := sp.Attributes().Get(tracing.AttrSpanOutputs); ok {
			s.Outputs = ioJSON(v)
		}
	}
	content, err := json.Marshal(render(sp))
	if err != nil {
		return tracing.Span{}, &Error{"encoding span: " + err.Error()}
	}
	s.Content = content
	return s, nil
}

// ioJSON is a span's inputs or outputs as the JSON text MLflow's client
// held: MLflow's exporter sends an object as a kvlist and a string as a
// string (setosa, whose text is "setosa" quoted), while other exporters
// (OpenTelemetry SDKs, OpenLLMetry) follow MLflow's attribute convention and
// put a value's JSON text in a string, which is taken as it is when it is
// JSON. (A string that happens to be JSON, such as 6, is therefore read as
// that JSON: both readings cannot be told apart.)
func ioJSON(v pcommon.Value) string {
	if v.Type() == pcommon.ValueTypeStr && json.Valid([]byte(v.Str())) {
		return v.Str()
	}
	return pyJSON(v)
}

// attributeTexts is a span's attributes as text, each key once (the last
// copy of a key sent twice wins, as a reader of the map would see it).
func attributeTexts(m pcommon.Map) []tracing.Attribute {
	out := make([]tracing.Attribute, 0, m.Len())
	at := make(map[string]int, m.Len())
	m.Range(func(k string, v pcommon.Value) bool {
		text := ""
		if v.Type() == pcommon.ValueTypeStr {
			text = v.Str()
		} else {
			text = pyJSON(v)
		}
		if i, ok := at[k]; ok {
			out[i].Value = text
			return true
		}
		at[k] = len(out)
		out = append(out, tracing.Attribute{Key: k, Value: text})
		return true
	})
	return out
}

// validTraceID reports whether id looks like an MLflow trace id: "tr-"
// followed by hex digits.
func validTraceID(id string) bool {
	if !strings.HasPrefix(id, "tr-") || len(id) < 4 || len(id) > 64 {
		return false
	}
	_, err := hex.DecodeString(id[3:])
	return err == nil
}

func statusName(c ptrace.StatusCode) string {
	switch c {
	case ptrace.StatusCodeOk:
		return "STATUS_CODE_OK"
	case ptrace.StatusCodeError:
		return "STATUS_CODE_ERROR"
	}
	return "STATUS_CODE_UNSET"
}

// spanJSON is an OTLP span as MLflow's batchGet renders it.
type spanJSON struct {
	TraceID                string      `json:"trace_id"`
	SpanID                 string      `json:"span_id"`
	TraceState             string      `json:"trace_state,omitempty"`
	ParentSpanID           string      `json:"parent_span_id,omitempty"`
	Name                   string      `json:"name"`
	Kind                   string      `json:"kind,omitempty"`
	StartTimeUnixNano      uint64      `json:"start_time_unix_nano"`
	EndTimeUnixNano        uint64      `json:"end_time_unix_nano"`
	Attributes             []keyValue  `json:"attributes,omitempty"`
	DroppedAttributesCount uint32      `json:"dropped_attributes_count,omitempty"`
	Events                 []eventJSON `json:"events,omitempty"`
	DroppedEventsCount     uint32      `json:"dropped_events_count,omitempty"`
	Links                  []linkJSON  `json:"links,omitempty"`
	DroppedLinksCount      uint32      `json:"dropped_links_count,omitempty"`
	Status                 *statusJSON `json:"status,omitempty"`
}

type eventJSON struct {
	TimeUnixNano           uint64     `json:"time_unix_nano"`
	Name                   string     `json:"name"`
	Attributes             []keyValue `json:"attributes,omitempty"`
	DroppedAttributesCount uint32     `json:"dropped_attributes_count,omitempty"`
}

type linkJSON struct {
	TraceID    string     `json:"trace_id"`
	SpanID     string     `json:"span_id"`
	TraceState string     `json:"trace_state,omitempty"`
	Attributes []keyValue `json:"attributes,omitempty"`
}

type statusJSON struct {
	Message string `json:"message,omitempty"`
	Code    string `json:"code,omitempty"`
}

type keyValue struct {
	Key   string   `json:"key"`
	Value anyValue `json:"value"`
}

type anyValue struct {
	StringValue *string     `json:"string_value,omitempty"`
	BoolValue   *bool       `json:"bool_value,omitempty"`
	IntValue    *int64      `json:"int_value,omitempty"`
	DoubleValue *float64    `json:"double_value,omitempty"`
	ArrayValue  *valuesJSON `json:"array_value,omitempty"`
	KvlistValue *kvJSON     `json:"kvlist_value,omitempty"`
	BytesValue  *string     `json:"bytes_value,omitempty"`
}

type valuesJSON struct {
	Values []anyValue `json:"values,omitempty"`
}

type kvJSON struct {
	Values []keyValue `json:"values,omitempty"`
}

func render(sp ptrace.Span) spanJSON {
	tid, sid := sp.TraceID(), sp.SpanID()
	out := spanJSON{
		TraceID:                base64.StdEncoding.EncodeToString(tid[:]),
		SpanID:                 base64.StdEncoding.EncodeToString(sid[:]),
		TraceState:             sp.TraceState().AsRaw(),
		Name:                   sp.Name(),
		StartTimeUnixNano:      uint64(sp.StartTimestamp()),
		EndTimeUnixNano:        uint64(sp.EndTimestamp()),
		Attributes:             attributes(sp.Attributes()),
		DroppedAttributesCount: sp.DroppedAttributesCount(),
		DroppedEventsCount:     sp.DroppedEventsCount(),
		DroppedLinksCount:      sp.DroppedLinksCount(),
	}
	if p := sp.ParentSpanID(); !p.IsEmpty() {
		out.ParentSpanID = base64.StdEncoding.EncodeToString(p[:])
	}
	if k := sp.Kind(); k != ptrace.SpanKindUnspecified {
		out.Kind = "SPAN_KIND_" + strings.ToUpper(k.String())
	}
	for i := 0; i < sp.Events().Len(); i++ {
		e := sp.Events().At(i)
		out.Events = append(out.Events, eventJSON{TimeUnixNano: uint64(e.Timestamp()), Name: e.Name(),
			Attributes: attributes(e.Attributes()), DroppedAttributesCount: e.DroppedAttributesCount()})
	}
	for i := 0; i < sp.Links().Len(); i++ {
		l := sp.Links().At(i)
		lt, ls := l.TraceID(), l.SpanID()
		out.Links = append(out.Links, linkJSON{TraceID: base64.StdEncoding.EncodeToString(lt[:]),
			SpanID: base64.StdEncoding.EncodeToString(ls[:]), TraceState: l.TraceState().AsRaw(), Attributes: attributes(l.Attributes())})
	}
	if st := sp.Status(); st.Code() != ptrace.StatusCodeUnset || st.Message() != "" {
		out.Status = &statusJSON{Message: st.Message()}
		if st.Code() != ptrace.StatusCodeUnset {
			out.Status.Code = statusName(st.Code())
		}
	}
	return out
}

func attributes(m pcommon.Map) []keyValue {
	var out []keyValue
	m.Range(func(k string, v pcommon.Value) bool {
		out = append(out, keyValue{Key: k, Value: value(v)})
		return true
	})
	return out
}

func value(v pcommon.Value) anyValue {
	var a anyValue
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := v.Str()
		a.StringValue = &s
	case pcommon.ValueTypeBool:
		b := v.Bool()
		a.BoolValue = &b
	case pcommon.ValueTypeInt:
		n := v.Int()
		a.IntValue = &n
	case pcommon.ValueTypeDouble:
		f := v.Double()
		a.DoubleValue = &f
	case pcommon.ValueTypeBytes:
		s := base64.StdEncoding.EncodeToString(v.Bytes().AsRaw())
		a.BytesValue = &s
	case pcommon.ValueTypeSlice:
		vs := &valuesJSON{}
		for i := 0; i < v.Slice().Len(); i++ {
			vs.Values = append(vs.Values, value(v.Slice().At(i)))
		}
		a.ArrayValue = vs
	case pcommon.ValueTypeMap:
		a.KvlistValue = &kvJSON{Values: attributes(v.Map())}
	}
	return a
}
