package modeluri_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/modeluri"
)

func TestFetch(t *testing.T) {
	ctx := t.Context()
	c := newRegistry(t)
	if _, err := modeluri.Register(ctx, c, modeluri.Registration{
		Dir: filepath.Join("..", "testdata", "models", "iris_logreg"), Name: "iris"}); err != nil {
		t.Fatal(err)
	}
	r, err := modeluri.NewResolver(c.BaseURL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f, err := modeluri.Fetch(ctx, r, "models:/iris/latest")
	if err != nil {
		t.Fatal(err)
	}
	if f.URI.Kind != modeluri.KindLatest || f.Version.Name != "iris" || f.Version.Version != "1" {
		t.Errorf("fetched %+v, version %+v", f.URI, f.Version)
	}
	if _, err := os.Stat(filepath.Join(f.Dir, "MLmodel")); err != nil {
		t.Errorf("the fetched directory has no MLmodel: %v", err)
	}
	for _, tt := range []struct{ arg, want string }{
		{"models:/iris/x", `models:/iris/x`},
		{"models:/rose/1", "resolving models:/rose/1: "},
		{"./iris", `must start with "models:/"`},
	} {
		if _, err := modeluri.Fetch(ctx, r, tt.arg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Fetch(%q) = %v, want an error with %q", tt.arg, err, tt.want)
		}
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/var/cache/someone")
	if got, err := modeluri.DefaultCacheDir(); err != nil || got != "/var/cache/someone/berth/models" {
		t.Errorf("DefaultCacheDir() = %q, %v", got, err)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if got, err := modeluri.DefaultCacheDir(); err == nil {
		t.Errorf("DefaultCacheDir() with no home = %q, want an error", got)
	}
}
