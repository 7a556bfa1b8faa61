package pack

import (
	"cmp"
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Outputs say where Deliver puts an image: any of a registry, an OCI
// layout directory and a tarball ("" leaves one out).
type Outputs struct {
	Tag     string // push to this reference, e.g. registry.example.com/iris:1
	Layout  string // write into this OCI image layout directory
	Tarball string // write a docker/podman load tarball to this file
	// Name is the image's name in the tarball, and its tag in the layout
	// (LayoutTag(Name)). Default: Tag, else ImageName of the model's name
	// and version in the image's labels (berth/iris:3).
	Name string
	// Out gets a line per output written: "wrote DIR (oci:DIR:TAG)",
	// "wrote FILE (NAME)", "pushed REF@DIGEST". Default: nowhere.
	Out io.Writer
}

// Delivery says where Deliver put the image.
type Delivery struct {
	Name      string  // the image's name (Outputs.Name or its default)
	LayoutTag string  // its tag in the layout, when written to one
	Digest    v1.Hash // the digest pushed to Outputs.Tag, when pushed
}

// Deliver writes img to the layout, then the tarball, then pushes it, as
// out says, stopping at the first failure. opts are Push's options.
func Deliver(ctx context.Context, img v1.Image, out Outputs, opts ...Option) (*Delivery, error) {
	w := out.Out
	if w == nil {
		w = io.Discard
	}
	d := &Delivery{Name: cmp.Or(out.Name, out.Tag)}
	if d.Name == "" {
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading the image's config: %w", err)
		}
		d.Name = ImageName(cf.Config.Labels[LabelModelName], cf.Config.Labels[LabelModelVersion])
	}
	if out.Layout != "" {
		d.LayoutTag = LayoutTag(d.Name)
		if err := WriteLayout(out.Layout, img, d.LayoutTag); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "wrote %s (oci:%s:%s)\n", out.Layout, out.Layout, d.LayoutTag)
	}
	if out.Tarball != "" {
		if err := WriteTarball(out.Tarball, img, d.Name); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "wrote %s (%s)\n", out.Tarball, d.Name)
	}
	if out.Tag != "" {
		digest, err := Push(ctx, img, out.Tag, opts...)
		if err != nil {
			return nil, err
		}
		d.Digest = digest
		fmt.Fprintf(w, "pushed %s@%s\n", out.Tag, digest)
	}
	return d, nil
}
