package sqlstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthml/berth/internal/pgtest"
	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// backend opens a fresh, empty store for one test.
type backend struct {
	name string
	open func(t testing.TB, opts ...sqlstore.Option) (*sqlstore.Store, string)
}

// backends returns SQLite always and PostgreSQL when
// BERTH_TEST_POSTGRES_URI is set (scripts/start-postgres.sh prints one).
// With BERTH_REQUIRE_TOOLS=1 a missing PostgreSQL fails the test.
func backends(t *testing.T) []backend {
	t.Helper()
	bs := []backend{{name: "sqlite", open: openSQLite}}
	if uri := pgtest.URI(t); uri != "" {
		bs = append(bs, backend{name: "postgres", open: func(t testing.TB, opts ...sqlstore.Option) (*sqlstore.Store, string) {
			return openPostgres(t, uri, opts...)
		}})
	}
	return bs
}

// forEachBackend runs fn as a subtest per backend, each with a fresh store.
func forEachBackend(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t, sqlstore.WithClock(fakeClock()))
			fn(t, s)
		})
	}
}

// fakeClock starts at a fixed time and advances 1ms per reading, so orders
// by time are deterministic.
func fakeClock() func() time.Time {
	var n atomic.Int64
	start := time.UnixMilli(1_795_839_574_000)
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

const artifactRoot = "mlflow-artifacts:/"

func openSQLite(t testing.TB, opts ...sqlstore.Option) (*sqlstore.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mlflow.db")
	s, err := sqlstore.Open(context.Background(), path, artifactRoot, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// openPostgres opens a store on a throwaway database beside the one uri
// names, and returns it and the database's URI.
func openPostgres(t testing.TB, uri string, opts ...sqlstore.Option) (*sqlstore.Store, string) {
	t.Helper()
	db := pgtest.Database(t, uri)
	s, err := sqlstore.Open(context.Background(), db, artifactRoot, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", db, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, db
}

// wantCode fails unless err is a *tracking.Error with code (or nil when code
// is "").
func wantCode(t *testing.T, err error, code tracking.ErrorCode) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var te *tracking.Error
	if !errors.As(err, &te) || te.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func wantMessage(t *testing.T, err error, code tracking.ErrorCode, msg string) {
	t.Helper()
	wantCode(t, err, code)
	var te *tracking.Error
	errors.As(err, &te)
	if te.Message != msg {
		t.Fatalf("message = %q\nwant      %q", te.Message, msg)
	}
}

func mustRun(t *testing.T, s *sqlstore.Store, exp string, tags ...tracking.Tag) *tracking.Run {
	t.Helper()
	r, err := s.CreateRun(context.Background(), tracking.CreateRun{ExperimentID: exp, UserID: "u", Tags: tags})
	if err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
	return r
}

func mustExperiment(t *testing.T, s *sqlstore.Store, name string, tags ...tracking.Tag) string {
	t.Helper()
	id, err := s.CreateExperiment(context.Background(), name, "", tags)
	if err != nil {
		t.Fatalf("CreateExperiment(%s): %v", name, err)
	}
	return id
}
