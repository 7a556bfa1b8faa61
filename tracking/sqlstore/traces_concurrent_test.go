package sqlstore_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking/sqlstore"
)

// TestLogSpansSameTraceConcurrently: MLflow's client may send the spans of
// one trace in several requests at once; each request finds the trace
// missing and creates it. Every request succeeds and no span is lost, on
// both databases (on PostgreSQL the second insert of the trace id meets
// the first's UNIQUE index entry). No transaction is refused and retried
// either: LogSpans writes its rows in (trace id, span id) order, so two
// requests never deadlock on PostgreSQL (inTx's retry would hide it).
func TestLogSpansSameTraceConcurrently(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			var log bytes.Buffer // slog's handler serialises its writes
			s, _ := b.open(t, sqlstore.WithClock(fakeClock()), sqlstore.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
			logSpansSameTraceConcurrently(t, s, &log)
		})
	}
}

func logSpansSameTraceConcurrently(t *testing.T, s *sqlstore.Store, log *bytes.Buffer) {
	ctx := context.Background()
	exp, err := s.CreateExperiment(ctx, "concurrent", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	base := time.UnixMilli(1_700_000_000_000).UnixNano()
	const rounds, writers = 20, 6
	for r := range rounds {
		trace := fmt.Sprintf("tr-%032x", 1000+r)
		other := fmt.Sprintf("tr-%032x", 5000+r) // a second trace, fresh for every writer too
		var wg sync.WaitGroup
		errs := make([]error, writers)
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				parent := "00000000000000ff"
				if w == 0 {
					parent = "" // one request holds the root
				}
				spans := []tracing.Span{
					{TraceID: trace, SpanID: fmt.Sprintf("%016x", w+1), ParentSpanID: parent, Name: fmt.Sprint("s", w),
						Type: "LLM", Status: "STATUS_CODE_OK", StartNanos: base, EndNanos: base + 5e6, Content: []byte(`{}`),
						Attributes: []tracing.Attribute{{Key: "k", Value: fmt.Sprint(w)}}},
					{TraceID: other, SpanID: fmt.Sprintf("%016x", w+1), ParentSpanID: "00000000000000ff", Name: "o",
						Type: "LLM", Status: "STATUS_CODE_OK", StartNanos: base, EndNanos: base + 5e6, Content: []byte(`{}`)},
				}
				if w%2 == 1 { // the traces in the other order
					spans[0], spans[1] = spans[1], spans[0]
				}
				errs[w] = s.LogSpans(ctx, exp, spans)
			})
		}
		close(start)
		wg.Wait()
		for w, err := range errs {
			if err != nil {
				t.Fatalf("round %d, writer %d: %v", r, w, err)
			}
		}
		if strings.Contains(log.String(), "retrying a transaction") {
			t.Fatalf("round %d: a LogSpans transaction was refused and retried:\n%s", r, log.String())
		}
		infos, spans, err := s.GetTraces(ctx, []string{trace, other})
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 2 || len(spans[trace]) != writers || len(spans[other]) != writers {
			t.Fatalf("round %d: %d traces, %d and %d spans, want 2, %d and %d", r, len(infos), len(spans[trace]), len(spans[other]), writers, writers)
		}
	}
}
