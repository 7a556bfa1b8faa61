package options

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestCheckStoreURIs checks that berth server refuses, before anything is
// opened or created, the databases and artifact destinations it cannot
// store to.
func TestCheckStoreURIs(t *testing.T) {
	cases := []struct {
		backend, artifacts string
		err                string
		wantArtifacts      string
	}{
		{DefaultBackendStoreURI, DefaultArtifactsDestination, "", DefaultArtifactsDestination},
		{"sqlite:////var/lib/berth.db", "/var/lib/berth/artifacts", "", "/var/lib/berth/artifacts"},
		{"postgresql://u:p@db/berth", "file:///srv/artifacts", "", "/srv/artifacts"},
		{"postgres://db/berth", "relative/dir", "", "relative/dir"},
		{"berth.db", "file://localhost/srv/a", "", "/srv/a"},
		{"sqlite:///b.db", "s3://Bad_Bucket/prefix", "bucket name", ""},
		{"sqlite:///b.db", "s3://bucket/../x", "the prefix must be a plain path", ""},
		{"sqlite:///b.db", "gs://bucket/prefix", "cannot store artifacts to gs: URIs (Google Cloud Storage and Azure Blob Storage are not built in)", ""},
		{"sqlite:///b.db", "wasbs://c@acct.blob.core.windows.net/p", "cannot store artifacts to wasbs: URIs", ""},
		{"sqlite:///b.db", "mlflow-artifacts:/x", "cannot store artifacts to mlflow-artifacts: URIs", ""},
		{"sqlite:///b.db", "file://otherhost/x", "want file:///absolute/path", ""},
		{"mysql://u:secret@db/berth", "a", "cannot store to mysql: URIs; it supports sqlite:///", ""},
		{"file:///srv/mlruns", "a", "cannot store to file: URIs", ""},
		{"databricks://profile", "a", "cannot store to databricks: URIs", ""},
	}
	for _, c := range cases {
		// The URIs are refused before anything is opened or created.
		o := &Store{BackendStoreURI: c.backend, ArtifactsDestination: c.artifacts, SQLiteSync: "bogus"}
		_, _, err := o.Open(context.Background(), slog.New(slog.DiscardHandler))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s, %s: %v, want an error with %q", c.backend, c.artifacts, err, c.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows the password: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "--sqlite-synchronous") {
			t.Errorf("%s, %s: %v, want them accepted (and the bogus --sqlite-synchronous refused)", c.backend, c.artifacts, err)
		}
		if dir, _, err := ArtifactsDestination(c.artifacts); err != nil || dir != c.wantArtifacts {
			t.Errorf("%s: %q, %v, want %q", c.artifacts, dir, err, c.wantArtifacts)
		}
	}
}

// startServer runs the real berth server binary in dir with args until the
// test ends and returns its URL.
