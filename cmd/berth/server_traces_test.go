package main

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking/sqlstore"
)

// TestServerTraceRetention runs the real binary with --trace-retention-days
// on a database that holds a trace 3 days old and one an hour old: the old
// one goes (with its spans), the new one stays.
func TestServerTraceRetention(t *testing.T) {
	bin := buildBerth(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "berth.db")
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, db, "mlflow-artifacts:/")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ids := map[string]time.Time{"tr-" + strings.Repeat("a", 32): now.Add(-72 * time.Hour), "tr-" + strings.Repeat("b", 32): now.Add(-time.Hour)}
	for id, at := range ids {
		sp := tracing.Span{TraceID: id, SpanID: "00000000000000a1", Name: "root", Status: "STATUS_CODE_OK",
			StartNanos: at.UnixNano(), EndNanos: at.UnixNano() + 1e6, Content: []byte(`{}`)}
		if err := st.LogSpans(ctx, "0", []tracing.Span{sp}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	url := startServer(t, bin, dir, nil, "--backend-store-uri", db, "--artifacts-destination", filepath.Join(dir, "a"),
		"--trace-retention-days", "2")
	status := func(id string) int {
		resp, err := http.Get(url + "/api/3.0/mlflow/traces/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	old, recent := "tr-"+strings.Repeat("a", 32), "tr-"+strings.Repeat("b", 32)
	deadline := time.Now().Add(20 * time.Second)
	for status(old) != http.StatusNotFound {
		if time.Now().After(deadline) {
			t.Fatal("the trace 3 days old is still there with --trace-retention-days 2")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s := status(recent); s != http.StatusOK {
		t.Fatalf("the trace an hour old answers %d; retention must keep it", s)
	}

	out, err := exec.Command(bin, "server", "--backend-store-uri", filepath.Join(dir, "x.db"), "--trace-retention-days", "-1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--trace-retention-days -1") {
		t.Fatalf("a negative retention: err %v, output:\n%s", err, out)
	}
}
