package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/berthml/berth/tracing"
)

// TestStmtCache checks that SQLite's write transactions keep their
// statements prepared: the first LogSpans notes its texts and prepares them
// after it commits, the next one with the same shape runs them prepared and
// adds none, the rows are all written either way, and the cache stays within
// its bound when every call brings new texts.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "berth.db"), "mlflow-artifacts:/")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.stmts == nil {
		t.Fatal("a SQLite store has no statement cache")
	}
	s.stmts.close() // forget what migrations and the default experiment prepared
	span := func(trace, id string) tracing.Span {
		return tracing.Span{TraceID: trace, SpanID: id, Name: "predict", Type: "LLM", Status: "OK",
			StartNanos: 1_700_000_000_000_000_000, EndNanos: 1_700_000_000_003_000_000, Content: []byte(`{}`)}
	}
	if err := s.LogSpans(ctx, "0", []tracing.Span{span("tr-1", "s1")}); err != nil {
		t.Fatal(err)
	}
	first := s.stmts.len()
	if first == 0 {
		t.Fatal("no statement kept after the first LogSpans")
	}
	if err := s.LogSpans(ctx, "0", []tracing.Span{span("tr-2", "s1")}); err != nil {
		t.Fatal(err)
	}
	if got := s.stmts.len(); got != first {
		t.Errorf("a second LogSpans of the same shape kept %d statements, want the first's %d", got, first)
	}
	// A span of a stored trace (the ON CONFLICT path) through kept statements.
	if err := s.LogSpans(ctx, "0", []tracing.Span{span("tr-1", "s1"), span("tr-1", "s2")}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM spans`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d spans stored, want 3", n)
	}

	// Every call a new row count, so new texts: the cache stays bounded.
	s.stmts.close()
	s.stmts.max = 4
	for i := 1; i <= 12; i++ {
		var spans []tracing.Span
		for j := 0; j < i; j++ {
			spans = append(spans, span(fmt.Sprintf("b%d-%d", i, j), "s1"))
		}
		if err := s.LogSpans(ctx, "0", spans); err != nil {
			t.Fatal(err)
		}
		if got := s.stmts.len(); got > 4 {
			t.Fatalf("after call %d the cache holds %d statements, bound 4", i, got)
		}
	}
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM spans`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := 3 + 12*13/2; n != want {
		t.Errorf("%d spans stored, want %d", n, want)
	}
}

// TestSQLiteWritePragmas checks the settings that a SQLite write connection
// runs with for ingest speed: statement journals in memory, and a WAL
// checkpoint every walCheckpointPages pages rather than SQLite's 1,000.
func TestSQLiteWritePragmas(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "berth.db"), "mlflow-artifacts:/")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		pragma string
		want   int
	}{{"temp_store", 2}, {"wal_autocheckpoint", walCheckpointPages}, {"synchronous", 2}} {
		var got int
		if err := s.write.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", c.pragma, err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s = %d, want %d", c.pragma, got, c.want)
		}
	}
}
