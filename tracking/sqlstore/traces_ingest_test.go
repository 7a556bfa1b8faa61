package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

// TestLogSpansGathered is what a tracing.Batcher hands the store: many
// traces in one call (more than one multi-row statement's hundred), a span
// sent twice (the later copy wins; PostgreSQL refuses a row upserted twice
// in one statement unless the store keeps one), a child before its root in
// an existing trace, and a trace of another experiment, which refuses the
// whole call.
func TestLogSpansGathered(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		exp, err := s.CreateExperiment(ctx, "gathered", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateExperiment(ctx, "other", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		base := time.UnixMilli(1_700_000_000_000).UnixNano()
		span := func(trace, id int, parent string, name string) tracing.Span {
			return tracing.Span{TraceID: fmt.Sprintf("tr-%032x", trace), SpanID: fmt.Sprintf("%016x", id), ParentSpanID: parent,
				Name: name, Type: "LLM", Status: "STATUS_CODE_OK", StartNanos: base + int64(trace)*1e6, EndNanos: base + int64(trace)*1e6 + 5e6,
				Content: []byte(`{}`)}
		}
		// Trace 1 exists with a child only: IN_PROGRESS until its root comes.
		if err := s.LogSpans(ctx, exp, []tracing.Span{span(1, 1001, "00000000000003e9", "child")}); err != nil {
			t.Fatal(err)
		}
		var spans []tracing.Span
		for i := 1; i <= 250; i++ {
			spans = append(spans, span(i, i, "", "first"))
		}
		spans = append(spans, span(7, 7, "", "second")) // trace 7's root again
		if err := s.LogSpans(ctx, exp, spans); err != nil {
			t.Fatal(err)
		}
		infos, got, err := s.GetTraces(ctx, []string{fmt.Sprintf("tr-%032x", 1), fmt.Sprintf("tr-%032x", 7), fmt.Sprintf("tr-%032x", 250)})
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 3 {
			t.Fatalf("traces %d, want 3", len(infos))
		}
		for _, in := range infos {
			if in.State != tracing.StateOK || in.Tags[tracing.TagSpansLocation] != tracing.SpansInTrackingStore ||
				in.Tags[tracing.TagArtifactLocation] == "" || in.ExperimentID != exp {
				t.Errorf("trace %s: state %s, experiment %s, tags %v", in.TraceID, in.State, in.ExperimentID, in.Tags)
			}
		}
		if n := len(got[fmt.Sprintf("tr-%032x", 1)]); n != 2 {
			t.Errorf("trace 1 has %d spans, want its child and its root", n)
		}
		if sp := got[fmt.Sprintf("tr-%032x", 7)]; len(sp) != 1 || sp[0].Name != "second" {
			t.Errorf("trace 7's spans %+v, want the later copy alone", sp)
		}
		// A trace of exp sent to other refuses the call: nothing of it stays.
		err = s.LogSpans(ctx, other, []tracing.Span{span(400, 400, "", "new"), span(2, 2, "", "moved")})
		wantCode(t, err, tracking.CodeInvalidParameterValue)
		if _, err := s.GetTraceInfo(ctx, fmt.Sprintf("tr-%032x", 400)); err == nil {
			t.Error("trace 400 was kept from a refused call")
		}
	})
}

// TestLogSpansPreviews: a trace made from its spans takes its previews from
// its root span's inputs and outputs, whether the root comes with the first
// spans or after its children; a trace its client ended keeps the client's.
func TestLogSpansPreviews(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		exp, err := s.CreateExperiment(ctx, "previews", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		base := time.UnixMilli(1_700_000_000_000).UnixNano()
		span := func(trace, id int, parent, in, out string) tracing.Span {
			return tracing.Span{TraceID: fmt.Sprintf("tr-%032x", trace), SpanID: fmt.Sprintf("%016x", id), ParentSpanID: parent,
				Name: "s", Status: "STATUS_CODE_OK", StartNanos: base, EndNanos: base + 5e6, Content: []byte(`{}`), Inputs: in, Outputs: out}
		}
		chat := `{"messages": [{"role": "system", "content": "brief"}, {"role": "user", "content": "which species?"}]}`
		if err := s.LogSpans(ctx, exp, []tracing.Span{
			span(1, 1, "", chat, `"setosa"`),
			span(2, 21, "0000000000000016", "", ""), // trace 2: a child first
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.LogSpans(ctx, exp, []tracing.Span{span(2, 22, "", `{"x": 1}`, `{"choices": [{"message": {"role": "assistant", "content": "two"}}]}`)}); err != nil {
			t.Fatal(err)
		}
		// Trace 3 ended by its client first: its previews stay the client's.
		if _, err := s.StartTrace(ctx, tracing.TraceInfo{TraceID: fmt.Sprintf("tr-%032x", 3), ExperimentID: exp, RequestTime: 1_700_000_000_000,
			State: tracing.StateOK, RequestPreview: "client req", ResponsePreview: "client resp"}); err != nil {
			t.Fatal(err)
		}
		if err := s.LogSpans(ctx, exp, []tracing.Span{span(3, 3, "", `{"y": 2}`, `"z"`)}); err != nil {
			t.Fatal(err)
		}
		for trace, want := range map[int][2]string{
			1: {"which species?", `"setosa"`},
			2: {`{"x": 1}`, "two"},
			3: {"client req", "client resp"},
		} {
			info, err := s.GetTraceInfo(ctx, fmt.Sprintf("tr-%032x", trace))
			if err != nil {
				t.Fatal(err)
			}
			if got := [2]string{info.RequestPreview, info.ResponsePreview}; got != want {
				t.Errorf("trace %d: previews %q, want %q", trace, got, want)
			}
		}
	})
}
