// Package servertest runs a real berth tracking and registry server for
// tests: SQLite and local artifacts in a temporary directory, served by
// httptest on 127.0.0.1.
package servertest

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/berthml/berth/server"
	"github.com/berthml/berth/tracking/sqlstore"
)

// New starts a server with opts until the test ends and returns it.
func New(tb testing.TB, opts ...server.Option) *httptest.Server {
	tb.Helper()
	dir := tb.TempDir()
	st, err := sqlstore.Open(context.Background(), "sqlite:///"+filepath.Join(dir, "registry.db"), "mlflow-artifacts:/")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	art, err := server.NewLocalArtifacts(filepath.Join(dir, "artifacts"))
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(server.New(st, art, opts...).Handler())
	tb.Cleanup(ts.Close)
	return ts
}
