package pack

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestDeliver(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	img := build(t, copyModel(t), WithModelName("Iris"), WithModelVersion("3"))
	host := newRegistry(t, nil)
	ref := host + "/berth/iris:3"
	lay, tar := filepath.Join(dir, "layout"), filepath.Join(dir, "iris.tar")

	var out strings.Builder
	d, err := Deliver(ctx, img, Outputs{Tag: ref, Layout: lay, Tarball: tar, Out: &out}, WithInsecure(true), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != ref || d.LayoutTag != "3" || d.Digest != digest(t, img) {
		t.Errorf("delivery %+v, want name %s, layout tag 3, digest %s", d, ref, digest(t, img))
	}
	want := "wrote " + lay + " (oci:" + lay + ":3)\n" + "wrote " + tar + " (" + ref + ")\n" + "pushed " + ref + "@" + d.Digest.String() + "\n"
	if out.String() != want {
		t.Errorf("lines:\n%s\nwant:\n%s", out.String(), want)
	}
	if got, err := remote.Image(mustRef(t, ref)); err != nil || digest(t, got) != d.Digest {
		t.Errorf("pulled back %v", err)
	}

	// Without --name or --tag the name comes from the model's labels.
	for _, tt := range []struct {
		o          Outputs
		name, tag  string
		wantLayout bool
	}{
		{Outputs{Layout: filepath.Join(dir, "l2")}, "berth/iris:3", "3", true},
		{Outputs{Layout: filepath.Join(dir, "l3"), Name: "shop/iris:prod"}, "shop/iris:prod", "prod", true},
		{Outputs{Tarball: filepath.Join(dir, "x.tar")}, "berth/iris:3", "", false},
	} {
		d, err := Deliver(ctx, img, tt.o)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != tt.name || d.LayoutTag != tt.tag || d.Digest != (v1.Hash{}) {
			t.Errorf("Deliver(%+v) = %+v, want name %s, layout tag %q", tt.o, d, tt.name, tt.tag)
		}
	}

	// A failure stops before the later outputs.
	out.Reset()
	_, err = Deliver(ctx, img, Outputs{Tarball: filepath.Join(dir, "t.tar"), Name: "Bad::Name", Tag: ref, Out: &out})
	if err == nil || out.String() != "" {
		t.Errorf("Deliver with a bad name = %v, wrote %q", err, out.String())
	}
}
