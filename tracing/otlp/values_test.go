package otlp_test

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/berthml/berth/tracing/otlp"
)

// exportOf builds an export request of spans spans, each with attrs
// attributes, an event and a link, and one attribute holding a list of
// list values.
func exportOf(spans, attrs, list int) ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "s")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("scope")
	for i := range spans {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID([16]byte{1, byte(i)})
		sp.SetSpanID([8]byte{2, byte(i)})
		sp.SetName("span")
		for a := range attrs {
			sp.Attributes().PutInt(string(rune('a'+a%26))+string(rune('a'+a/26)), int64(a))
		}
		sp.Events().AppendEmpty().Attributes().PutStr("e", "v")
		sp.Links().AppendEmpty().Attributes().PutStr("l", "v")
		sp.Status().SetCode(ptrace.StatusCodeOk)
		l := sp.Attributes().PutEmptySlice("list")
		for range list {
			l.AppendEmpty().SetEmptyMap().PutStr("k", "v")
		}
	}
	return ptraceotlp.NewExportRequestFromTraces(td)
}

// messages counts the messages in req: resource and scope spans, spans,
// their events and links, and every key-value and value (with the list
// message around a value's list or map); with embedded, also each
// resource, scope and status, which pdata keeps inside their parent's
// struct but the wire has as messages of their own.
func messages(req ptraceotlp.ExportRequest, embedded bool) int {
	e := 0
	if embedded {
		e = 1
	}
	n := 1
	var value func(v pcommon.Value) int
	kvs := func(m pcommon.Map) int {
		c := 0
		m.Range(func(_ string, v pcommon.Value) bool { c += 1 + value(v); return true })
		return c
	}
	value = func(v pcommon.Value) int {
		c := 1
		switch v.Type() {
		case pcommon.ValueTypeSlice:
			c++ // the ArrayValue message around the values
			for i := 0; i < v.Slice().Len(); i++ {
				c += value(v.Slice().At(i))
			}
		case pcommon.ValueTypeMap:
			c += 1 + kvs(v.Map()) // a KeyValueList around them
		}
		return c
	}
	rss := req.Traces().ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		n += 1 + e + kvs(rss.At(i).Resource().Attributes())
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			n += 1 + e + kvs(sss.At(j).Scope().Attributes())
			sps := sss.At(j).Spans()
			for k := 0; k < sps.Len(); k++ {
				sp := sps.At(k)
				n += 1 + e + kvs(sp.Attributes()) // the span and its status
				for e := 0; e < sp.Events().Len(); e++ {
					n += 1 + kvs(sp.Events().At(e).Attributes())
				}
				for l := 0; l < sp.Links().Len(); l++ {
					n += 1 + kvs(sp.Links().At(l).Attributes())
				}
			}
		}
	}
	return n
}

func TestValues(t *testing.T) {
	for _, tc := range []struct{ spans, attrs, list int }{{0, 0, 0}, {1, 0, 0}, {1, 3, 2}, {50, 20, 5}, {3, 0, 100}} {
		req := exportOf(tc.spans, tc.attrs, tc.list)
		want := messages(req, true) // every resource, scope and status is set
		pb, err := req.MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		if got := otlp.Values(pb, "application/x-protobuf"); got != want {
			t.Errorf("%+v as protobuf: %d values, want %d", tc, got, want)
		}
		js, err := req.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if got := otlp.Values(js, "application/json; charset=utf-8"); got < want {
			t.Errorf("%+v as JSON: %d values, want at least %d", tc, got, want)
		}
	}
	// Not a message: every two bytes count as one.
	if got := otlp.Values([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3, 4}, "application/x-protobuf"); got < 5 {
		t.Errorf("a truncated message: %d values, want at least 5", got)
	}
}

// FuzzValues: Values never panics, and for any body pdata accepts as
// protobuf it counts at least the messages pdata makes of it.
func FuzzValues(f *testing.F) {
	for _, tc := range []struct{ spans, attrs, list int }{{1, 0, 0}, {2, 3, 2}} {
		pb, err := exportOf(tc.spans, tc.attrs, tc.list).MarshalProto()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pb)
	}
	f.Add([]byte{0x0a, 0x04, 0x12, 0x02, 0x12, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		got := otlp.Values(b, "application/x-protobuf")
		req := ptraceotlp.NewExportRequest()
		if req.UnmarshalProto(b) != nil {
			return
		}
		if want := messages(req, false); got < want {
			t.Fatalf("Values(%x) = %d; pdata makes %d messages", b, got, want)
		}
	})
}
