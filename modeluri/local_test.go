package modeluri_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/modeluri"
)

// TestLocalSourcesRefused: a registry writer can point a version at any
// directory of the serving host (a file:// artifact location, a runs:/
// source climbing out with ".."); Download refuses both unless local
// sources are allowed, and never follows "..".
func TestLocalSourcesRefused(t *testing.T) {
	ctx := context.Background()
	dir, err := filepath.Abs(filepath.Join("..", "testdata", "models", "iris_logreg"))
	if err != nil {
		t.Fatal(err)
	}
	// Nothing listens here: every case is decided before asking the registry.
	strict, err := modeluri.NewResolver("http://127.0.0.1:1", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lenient, err := modeluri.NewResolver("http://127.0.0.1:1", t.TempDir(), modeluri.WithLocalSources(true))
	if err != nil {
		t.Fatal(err)
	}
	local := []*modeluri.Version{
		{Name: "m", Version: "1", Source: "runs:/abc/model", ArtifactURI: "file://" + dir},
		{Name: "m", Version: "2", Source: dir},
		{Name: "m", Version: "3", Source: "file://" + dir},
	}
	for _, v := range local {
		_, err := strict.Download(ctx, v)
		var lerr *modeluri.LocalSourceError
		if !errors.As(err, &lerr) || !strings.Contains(err.Error(), "--allow-local-sources") {
			t.Errorf("version %s (%s %s): err %v, want a LocalSourceError naming --allow-local-sources", v.Version, v.Source, v.ArtifactURI, err)
		}
		if got, err := lenient.Download(ctx, v); err != nil || got != dir {
			t.Errorf("version %s with local sources allowed: %q, %v; want %s", v.Version, got, err, dir)
		}
	}
	climbing := []*modeluri.Version{
		{Name: "m", Version: "4", Source: "runs:/abc/../../../../etc", ArtifactURI: "mlflow-artifacts:/1/abc/artifacts/../../../../etc"},
		{Name: "m", Version: "5", Source: "runs:/abc/../../../../etc"},
		{Name: "m", Version: "6", Source: "file://" + dir + "/../iris_logreg"},
		{Name: "m", Version: "7", Source: "mlflow-artifacts:/1/abc/artifacts/%2e%2e/%2E%2E/x"},
		{Name: "m", Version: "8", Source: "mlflow-artifacts:/1/./abc/model"},
	}
	for _, v := range climbing {
		for _, r := range []*modeluri.Resolver{strict, lenient} {
			if _, err := r.Download(ctx, v); err == nil || !strings.Contains(err.Error(), "segment") {
				t.Errorf("version %s (%s %s): err %v, want a refusal of its dot segments", v.Version, v.Source, v.ArtifactURI, err)
			}
		}
	}
}

// FuzzDownloadRefusesLocal: whatever a registry says a version's source
// is, a resolver without local sources never hands back a directory of
// this machine (nothing listens at the registry's address, so any success
// would be one).
func FuzzDownloadRefusesLocal(f *testing.F) {
	for _, s := range []string{"file:///etc", "/etc", "s3://bucket/key", "runs:/abc/../../x", "mlflow-artifacts:/1/%2e%2e/x", "file://", "//x", "C:/x", "file:/etc"} {
		f.Add(s)
	}
	r, err := modeluri.NewResolver("http://127.0.0.1:1", f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		for _, v := range []*modeluri.Version{{Name: "m", Version: "1", Source: uri}, {Name: "m", Version: "1", Source: "runs:/r/m", ArtifactURI: uri}} {
			if dir, err := r.Download(context.Background(), v); err == nil {
				t.Fatalf("Download(%q) = %q, want an error", uri, dir)
			}
		}
	})
}
