package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/berthml/berth/tracking/sqlstore"

	_ "modernc.org/sqlite"
)

func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	// Open concurrently and repeatedly: one migration run, one default experiment.
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sqlstore.Open(ctx, "sqlite:///"+path, artifactRoot)
			if err != nil {
				t.Error(err)
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
	for i := 0; i < 2; i++ {
		s, err := sqlstore.Open(ctx, path, artifactRoot)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var versions, maxVersion, experiments int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&versions, &maxVersion); err != nil {
		t.Fatal(err)
	}
	if versions != sqlstore.SchemaVersion() || maxVersion != sqlstore.SchemaVersion() {
		t.Errorf("schema_migrations has %d rows up to %d, want %d", versions, maxVersion, sqlstore.SchemaVersion())
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM experiments`).Scan(&experiments); err != nil {
		t.Fatal(err)
	}
	if experiments != 1 {
		t.Errorf("%d experiments after repeated opens, want 1", experiments)
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestMigrationsIdempotentPostgres(t *testing.T) {
	for _, b := range backends(t) {
		if b.name != "postgres" {
			continue
		}
		s, uri := b.open(t)
		s.Close()
		for i := 0; i < 2; i++ {
			s, err := sqlstore.Open(context.Background(), uri, artifactRoot)
			if err != nil {
				t.Fatal(err)
			}
			e, err := s.SearchExperiments(context.Background(), searchAll)
			if err != nil || len(e.Experiments) != 1 {
				t.Errorf("experiments after reopen = %v, %v", e, err)
			}
			s.Close()
		}
	}
}
