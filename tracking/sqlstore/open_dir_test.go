package sqlstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/tracking/sqlstore"
)

// TestOpenSQLiteMissingDirectory checks that a database path whose
// directory does not exist is an error that says so, and that nothing is
// created on the way.
func TestOpenSQLiteMissingDirectory(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing", "dir")
	for _, uri := range []string{"sqlite:///" + filepath.Join(missing, "x.db"), filepath.Join(missing, "x.db")} {
		s, err := sqlstore.Open(context.Background(), uri, "mlflow-artifacts:/")
		if err == nil {
			s.Close()
			t.Fatalf("Open(%s) succeeded", uri)
		}
		if !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), missing) {
			t.Errorf("Open(%s) = %v, want an error naming the missing directory", uri, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("Open created %s: %v", filepath.Join(dir, "missing"), err)
	}
}
