package server_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthml/berth/internal/pgtest"
	"github.com/berthml/berth/server"
	"github.com/berthml/berth/tracking/sqlstore"
)

// backend opens a fresh, empty store.
type backend struct {
	name string
	open func(t testing.TB) *sqlstore.Store
}

// backends returns SQLite always and PostgreSQL when
// BERTH_TEST_POSTGRES_URI is set (scripts/start-postgres.sh prints one).
func backends(t *testing.T) []backend {
	t.Helper()
	bs := []backend{{name: "sqlite", open: openSQLite}}
	if uri := pgtest.URI(t); uri != "" {
		bs = append(bs, backend{name: "postgres", open: func(t testing.TB) *sqlstore.Store { return openPostgres(t, uri) }})
	}
	return bs
}

// fakeClock advances 1ms per reading, so orders by creation time are
// deterministic however fast a test runs.
func fakeClock() func() time.Time {
	var n atomic.Int64
	start := time.UnixMilli(1_795_839_574_000)
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

const artifactRoot = "mlflow-artifacts:/"

func openSQLite(t testing.TB) *sqlstore.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "berth.db")
	s, err := sqlstore.Open(context.Background(), path, artifactRoot, sqlstore.WithClock(fakeClock()))
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgres opens a store on a throwaway database beside the one uri
// names.
func openPostgres(t testing.TB, uri string) *sqlstore.Store {
	t.Helper()
	db := pgtest.Database(t, uri)
	s, err := sqlstore.Open(context.Background(), db, artifactRoot, sqlstore.WithClock(fakeClock()))
	if err != nil {
		t.Fatalf("Open(%s): %v", db, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newServer returns a registry server on a fresh SQLite store with
// artifacts in a temporary directory.
func newServer(t testing.TB, opts ...server.Option) *server.Server {
	t.Helper()
	return newServerOn(t, openSQLite(t), opts...)
}

func newServerOn(t testing.TB, st *sqlstore.Store, opts ...server.Option) *server.Server {
	t.Helper()
	arts, err := server.NewLocalArtifacts(filepath.Join(t.TempDir(), "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	return server.New(st, arts, opts...)
}
