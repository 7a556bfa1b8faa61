// Package pgtest gives store tests a throwaway PostgreSQL database on the
// server BERTH_TEST_POSTGRES_URI names (scripts/start-postgres.sh starts
// one and prints its URI), so that no two tests share tables.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// EnvURI is the variable that names the PostgreSQL server tests use.
const EnvURI = "BERTH_TEST_POSTGRES_URI"

// URI returns the server's URI from EnvURI, or "" when it is not set,
// failing tb then if BERTH_REQUIRE_TOOLS=1 (as make test sets).
func URI(tb testing.TB) string {
	tb.Helper()
	uri := os.Getenv(EnvURI)
	if uri == "" && os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
		tb.Error(EnvURI + " is not set (BERTH_REQUIRE_TOOLS=1); run scripts/start-postgres.sh")
	}
	return uri
}

// Database creates an empty database with a random name on the server uri
// names and returns its URI. It is dropped, with any connections still
// open, when tb ends: after the cleanups registered later, such as the
// store's Close.
func Database(tb testing.TB, uri string) string {
	tb.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		tb.Fatalf("parsing %s: %v", uri, err)
	}
	admin, err := sql.Open("pgx", uri)
	if err != nil {
		tb.Fatalf("connecting to %s: %v", uri, err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "berth_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("creating database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if a, err := sql.Open("pgx", uri); err == nil {
			_, _ = a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			a.Close()
		}
	})
	u.Path = "/" + name
	return u.String()
}
