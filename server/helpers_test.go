package server_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

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
	if uri := os.Getenv("BERTH_TEST_POSTGRES_URI"); uri != "" {
		bs = append(bs, backend{name: "postgres", open: func(t testing.TB) *sqlstore.Store { return openPostgres(t, uri) }})
	} else if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
		t.Error("BERTH_TEST_POSTGRES_URI is not set (BERTH_REQUIRE_TOOLS=1); run scripts/start-postgres.sh")
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

// openPostgres creates a throwaway database next to the one uri names.
func openPostgres(t testing.TB, uri string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", uri)
	if err != nil {
		t.Fatalf("connecting to %s: %v", uri, err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "berth_reg_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatalf("parsing %s: %v", uri, err)
	}
	u.Path = "/" + name
	s, err := sqlstore.Open(ctx, u.String(), artifactRoot, sqlstore.WithClock(fakeClock()))
	if err != nil {
		t.Fatalf("Open(%s): %v", u, err)
	}
	t.Cleanup(func() {
		s.Close()
		if a, err := sql.Open("pgx", uri); err == nil {
			_, _ = a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			a.Close()
		}
	})
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
