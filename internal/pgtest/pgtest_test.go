package pgtest_test

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"

	"github.com/berthml/berth/internal/pgtest"
)

// TestDatabase creates two databases in subtests, writes to one, and
// checks that they are apart and that each is dropped when its test ends.
func TestDatabase(t *testing.T) {
	uri := pgtest.URI(t)
	if uri == "" {
		t.Skip(pgtest.EnvURI + " is not set")
	}
	admin, err := sql.Open("pgx", uri)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	exists := func(name string) bool {
		var n int
		if err := admin.QueryRowContext(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	var names []string
	for i := range 2 {
		t.Run("db", func(t *testing.T) {
			db := pgtest.Database(t, uri)
			u, err := url.Parse(db)
			if err != nil {
				t.Fatal(err)
			}
			name := strings.TrimPrefix(u.Path, "/")
			names = append(names, name)
			if !exists(name) {
				t.Fatalf("database %s was not created", name)
			}
			c, err := sql.Open("pgx", db)
			if err != nil {
				t.Fatal(err)
			}
			// Left open: the drop must end the connection itself.
			var tables int
			if err := c.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if tables != 0 {
				t.Errorf("database %d has %d tables, want a fresh one", i, tables)
			}
			if _, err := c.Exec("CREATE TABLE t (x int)"); err != nil {
				t.Fatal(err)
			}
		})
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("databases %v, want two apart", names)
	}
	for _, n := range names {
		if exists(n) {
			t.Errorf("database %s still exists after its test", n)
		}
	}
}
