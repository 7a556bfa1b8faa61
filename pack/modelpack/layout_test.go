package modelpack_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/berthml/berth/pack/modelpack"
)

// TestLayoutRoundTrip writes an artifact to an OCI layout directory, as
// `berth pack --artifact --oci-layout` could, and pulls it back from there.
func TestLayoutRoundTrip(t *testing.T) {
	img, err := modelpack.Build(irisDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	back, err := p.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	if at, err := back.Manifest(); err != nil || at.ArtifactType != modelpack.ArtifactType {
		t.Fatalf("manifest from layout: %v, %v", at, err)
	}
	out := filepath.Join(t.TempDir(), "model")
	if _, err := modelpack.PullImage(context.Background(), back, out); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, irisDir, out)
}
