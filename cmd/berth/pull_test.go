package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/pack/modelpack"
)

func TestPullCommand(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	src := filepath.Join("..", "..", "testdata", "models", "iris_logreg")
	img, err := modelpack.Build(src)
	if err != nil {
		t.Fatal(err)
	}
	ref := strings.TrimPrefix(srv.URL, "http://") + "/models/iris:1"
	if _, err := modelpack.Push(ctx, img, ref); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "iris")
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"pull", "--insecure", ref, dir})
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	for _, want := range []string{"pulled " + ref + " (modelpack, sha256:", "into " + dir, "MLmodel", "model.onnx"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := flavors.Open(dir); err != nil {
		t.Error(err)
	}
	for _, f := range []string{"MLmodel", "model.onnx", "conda.yaml"} {
		want, _ := os.ReadFile(filepath.Join(src, f))
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v, differs: %v", f, err, !bytes.Equal(got, want))
		}
	}

	// A second pull into the same, now full, directory is refused.
	root = newRoot()
	root.SetOut(io.Discard)
	root.SetArgs([]string{"pull", ref, dir})
	if err := root.ExecuteContext(ctx); err == nil || !strings.Contains(err.Error(), "not an empty directory") {
		t.Errorf("second pull: %v", err)
	}
}
