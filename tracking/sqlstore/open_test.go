package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

var searchAll = tracking.ExperimentQuery{MaxResults: 1000, ViewType: tracking.ViewAll}

func TestSQLitePath(t *testing.T) {
	tests := []struct {
		uri     string
		want    string
		wantErr bool
	}{
		{uri: "sqlite:///mlflow.db", want: "mlflow.db"},
		{uri: "sqlite:///dir/mlflow.db", want: "dir/mlflow.db"},
		{uri: "sqlite:////tmp/mlflow.db", want: "/tmp/mlflow.db"},
		{uri: "sqlite:////tmp/mlflow.db?mode=rwc", want: "/tmp/mlflow.db"},
		{uri: "/abs/bare.db", want: "/abs/bare.db"},
		{uri: "rel/bare.db", want: "rel/bare.db"},
		{uri: "sqlite://host/x.db", wantErr: true},
		{uri: "sqlite:///", wantErr: true},
		{uri: "mysql://u@h/db", wantErr: true},
		{uri: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got, err := sqlstore.SQLitePath(tt.uri)
			if tt.wantErr {
				if !errors.Is(err, sqlstore.ErrUnsupportedURI) {
					t.Fatalf("SQLitePath(%q) = %q, %v; want ErrUnsupportedURI", tt.uri, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("SQLitePath(%q) = %q, %v; want %q", tt.uri, got, err, tt.want)
			}
		})
	}
}

func FuzzSQLitePath(f *testing.F) {
	for _, s := range []string{"sqlite:///a.db", "sqlite:////a/b.db", "/x.db", "postgresql://u@h/db", "sqlite://", "a://b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		p, err := sqlstore.SQLitePath(uri)
		if err == nil && p == "" {
			t.Fatalf("SQLitePath(%q) returned an empty path without error", uri)
		}
	})
}

func TestOpenURIForms(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	wd, _ := os.Getwd()
	t.Chdir(dir)
	defer os.Chdir(wd)
	for _, uri := range []string{"sqlite:///rel.db", "sqlite:///" + filepath.Join(dir, "abs.db"), filepath.Join(dir, "bare.db")} {
		s, err := sqlstore.Open(ctx, uri, "/srv/artifacts")
		if err != nil {
			t.Fatalf("Open(%s): %v", uri, err)
		}
		e, err := s.GetExperiment(ctx, "0")
		if err != nil || e.ArtifactLocation != "/srv/artifacts/0" {
			t.Errorf("Open(%s): default experiment %+v, %v", uri, e, err)
		}
		s.Close()
	}
	for _, name := range []string{"rel.db", "abs.db", "bare.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("database file %s: %v", name, err)
		}
	}
	if _, err := sqlstore.Open(ctx, "mysql://x", ""); !errors.Is(err, sqlstore.ErrUnsupportedURI) {
		t.Errorf("Open(mysql://x) = %v, want ErrUnsupportedURI", err)
	}
}
