package keys

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/internal/pgtest"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// backend is a database the store tests run on: uri opens it again, as
// another replica would.
type backend struct {
	name string
	uri  func(t testing.TB) string
}

// backends returns SQLite always and PostgreSQL when
// BERTH_TEST_POSTGRES_URI is set (scripts/start-postgres.sh prints one).
// With BERTH_REQUIRE_TOOLS=1 a missing PostgreSQL fails the test.
func backends(t *testing.T) []backend {
	t.Helper()
	bs := []backend{{name: "sqlite", uri: func(t testing.TB) string {
		return "sqlite:///" + filepath.Join(t.TempDir(), "gateway.db")
	}}}
	if uri := pgtest.URI(t); uri != "" {
		bs = append(bs, backend{name: "postgres", uri: func(t testing.TB) string { return pgtest.Database(t, uri) }})
	}
	return bs
}

func openStore(t testing.TB, uri string, clock *fakeClock) *Store {
	t.Helper()
	s, err := Open(context.Background(), uri, WithStoreClock(clock.Now))
	if err != nil {
		t.Fatalf("Open(%s): %v", uri, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newGuard(t testing.TB, s *Store, clock *fakeClock, opts ...Option) *Guard {
	t.Helper()
	g, err := NewGuard(context.Background(), s, append([]Option{WithClock(clock.Now)}, opts...)...)
	if err != nil {
		t.Fatalf("NewGuard: %v", err)
	}
	return g
}

func mustCreate(t testing.TB, s *Store, spec Spec) (string, Key) {
	t.Helper()
	secret, k, err := s.Create(context.Background(), spec)
	if err != nil {
		t.Fatalf("Create(%+v): %v", spec, err)
	}
	return secret, k
}

// wantRefusal fails unless err is an *Error of kind (or nil for kind 0).
func wantRefusal(t testing.TB, err error, kind Kind) *Error {
	t.Helper()
	if kind == 0 {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return nil
	}
	e, ok := err.(*Error)
	if !ok || e.Kind != kind {
		t.Fatalf("error = %v (%T), want an *Error of kind %d", err, err, kind)
	}
	return e
}

// t0 is a fixed start: 2026-12-07 10:00:00 UTC, a minute boundary.
var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
