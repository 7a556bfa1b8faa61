package tracing_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/tracing"
)

// gate is a SpanLogger whose first write waits until released, so that
// calls made meanwhile queue behind it; a span named "bad" refuses the
// write it is in.
type gate struct {
	mu      sync.Mutex
	writes  [][]string // span ids of each write
	first   chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gate) LogSpans(_ context.Context, exp string, spans []tracing.Span) error {
	g.once.Do(func() {
		close(g.first)
		<-g.release
	})
	var ids []string
	for _, sp := range spans {
		if sp.Name == "bad" {
			return errors.New("refused")
		}
		ids = append(ids, exp+"/"+sp.SpanID)
	}
	g.mu.Lock()
	g.writes = append(g.writes, ids)
	g.mu.Unlock()
	return nil
}

// TestBatcherGathersAndIsolates: calls that arrive during a write are
// written together in the next one, each call returns its own result, and
// a refused call fails alone while the rest of its batch is written.
func TestBatcherGathersAndIsolates(t *testing.T) {
	g := &gate{first: make(chan struct{}), release: make(chan struct{})}
	b := tracing.NewBatcher(g)
	ctx := context.Background()
	firstDone := make(chan error, 1)
	go func() { firstDone <- b.LogSpans(ctx, "1", []tracing.Span{{SpanID: "s0"}}) }()
	<-g.first // the first write is in progress: the next calls queue

	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	queued := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name, exp := "ok", "1"
			if i == 2 {
				name = "bad"
			}
			if i == 5 {
				exp = "2"
			}
			queued <- struct{}{}
			errs[i] = b.LogSpans(ctx, exp, []tracing.Span{{SpanID: fmt.Sprintf("s%d", i+1), Name: name}})
		}()
	}
	for i := 0; i < n; i++ {
		<-queued
	}
	// Every goroutine is about to queue; let them reach the Batcher.
	for {
		if pending := tracing.PendingForTest(b); pending == n {
			break
		}
	}
	close(g.release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == 2) {
			t.Errorf("call %d: err %v", i, err)
		}
	}
	// The first write alone; then experiment 1's five calls in one failed
	// write, retried one by one (four written); experiment 2's in one.
	var written int
	for _, w := range g.writes {
		written += len(w)
	}
	if written != n {
		t.Errorf("spans written %d, want %d: %v", written, n, g.writes)
	}
	if len(g.writes) != 1+4+1 {
		t.Errorf("writes %v, want the first, four retried one by one and experiment 2's", g.writes)
	}
}

// TestBatcherGathers: calls queued behind a write are written as one.
func TestBatcherGathers(t *testing.T) {
	g := &gate{first: make(chan struct{}), release: make(chan struct{})}
	b := tracing.NewBatcher(g)
	ctx := context.Background()
	firstDone := make(chan error, 1)
	go func() { firstDone <- b.LogSpans(ctx, "1", []tracing.Span{{SpanID: "s0"}}) }()
	<-g.first
	const n = 5
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.LogSpans(ctx, "1", []tracing.Span{{SpanID: fmt.Sprintf("s%d", i+1)}}); err != nil {
				t.Error(err)
			}
		}()
	}
	for tracing.PendingForTest(b) != n {
	}
	close(g.release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(g.writes) != 2 || len(g.writes[1]) != n {
		t.Errorf("writes %v, want the first and one of %d spans", g.writes, n)
	}
}

// TestBatcherWaitsForReturningCallers: after a write answered three calls,
// the next writer waits for three calls before writing, so that clients
// which come back together share one write rather than one writing alone;
// Stats counts the calls, spans and writes.
func TestBatcherWaitsForReturningCallers(t *testing.T) {
	g := &gate{first: make(chan struct{}), release: make(chan struct{})}
	b := tracing.NewBatcher(g, tracing.WithGatherWait(time.Minute))
	ctx := context.Background()
	firstDone := make(chan error, 1)
	go func() { firstDone <- b.LogSpans(ctx, "1", []tracing.Span{{SpanID: "s0"}}) }()
	<-g.first
	call := func(wg *sync.WaitGroup, i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.LogSpans(ctx, "1", []tracing.Span{{SpanID: fmt.Sprintf("s%d", i)}}); err != nil {
				t.Error(err)
			}
		}()
	}
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		call(&wg, i)
	}
	for tracing.PendingForTest(b) != 3 {
	}
	close(g.release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	wg.Wait() // [s1 s2 s3] written together: the next writer waits for three
	call(&wg, 4)
	for tracing.PendingForTest(b) != 1 {
	}
	call(&wg, 5)
	call(&wg, 6)
	wg.Wait()
	want := []string{"[1/s0]", "[1/s1 1/s2 1/s3]", "[1/s4 1/s5 1/s6]"}
	if len(g.writes) != len(want) {
		t.Fatalf("writes %v, want %v", g.writes, want)
	}
	for i, w := range g.writes {
		sort.Strings(w)
		if got := fmt.Sprint(w); got != want[i] {
			t.Errorf("write %d: %s, want %s", i, got, want[i])
		}
	}
	if st := b.Stats(); st != (tracing.BatchStats{Calls: 7, Spans: 7, Writes: 3}) {
		t.Errorf("stats %+v, want 7 calls, 7 spans, 3 writes", st)
	}
}

// TestBatcherGatherWaitIsBounded: a writer whose previous write's callers
// do not come back writes alone once the gather wait has passed.
func TestBatcherGatherWaitIsBounded(t *testing.T) {
	g := &gate{first: make(chan struct{}), release: make(chan struct{})}
	b := tracing.NewBatcher(g, tracing.WithGatherWait(20*time.Millisecond))
	ctx := context.Background()
	firstDone := make(chan error, 1)
	go func() { firstDone <- b.LogSpans(ctx, "1", []tracing.Span{{SpanID: "s0"}}) }()
	<-g.first
	var wg sync.WaitGroup
	for i := 1; i <= 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.LogSpans(ctx, "1", []tracing.Span{{SpanID: fmt.Sprintf("s%d", i)}}); err != nil {
				t.Error(err)
			}
		}()
	}
	for tracing.PendingForTest(b) != 2 {
	}
	close(g.release)
	<-firstDone
	wg.Wait()
	start := time.Now()
	if err := b.LogSpans(ctx, "1", []tracing.Span{{SpanID: "alone"}}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond || d > 10*time.Second {
		t.Errorf("a lone call after a write of two took %s, want the gather wait (20ms)", d)
	}
	if n := len(g.writes); n != 3 || len(g.writes[2]) != 1 {
		t.Errorf("writes %v, want the lone call written alone", g.writes)
	}
}
