package pack

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// refNameAnnotation names an image in an OCI layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// loadBase reads the base image: oci:DIR[:TAG] from a layout directory, any
// other reference from its registry, for o's platform.
func loadBase(ctx context.Context, o *options) (v1.Image, error) {
	if dir, ok := strings.CutPrefix(o.base, "oci:"); ok {
		tag := ""
		if i := strings.LastIndex(dir, ":"); i >= 0 {
			dir, tag = dir[:i], dir[i+1:]
		}
		return layoutImage(dir, tag, o.platform)
	}
	ref, err := parseRef(o.base, o)
	if err != nil {
		return nil, err
	}
	return remote.Image(ref, o.remoteOptions(ctx, nil, remote.WithPlatform(o.platform))...)
}

// layoutImage finds the image tagged tag (any image when tag is "" and the
// layout holds one) in the layout at dir, choosing platform in an index.
func layoutImage(dir, tag string, platform v1.Platform) (v1.Image, error) {
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, err
	}
	var found []v1.Descriptor
	for _, d := range im.Manifests {
		if tag == "" || d.Annotations[refNameAnnotation] == tag {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("layout %s has %d images tagged %q, want 1", dir, len(found), tag)
	}
	d := found[0]
	if d.MediaType.IsImage() {
		return ii.Image(d.Digest)
	}
	if !d.MediaType.IsIndex() {
		return nil, fmt.Errorf("layout %s: %s is a %s, not an image", dir, d.Digest, d.MediaType)
	}
	child, err := ii.ImageIndex(d.Digest)
	if err != nil {
		return nil, err
	}
	cm, err := child.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, c := range cm.Manifests {
		if c.Platform != nil && c.Platform.Satisfies(platform) {
			return child.Image(c.Digest)
		}
	}
	return nil, fmt.Errorf("layout %s: no image for %s", dir, platform)
}

// parseRef parses an image reference, allowing plain HTTP with WithInsecure.
func parseRef(s string, o *options) (name.Reference, error) {
	var opts []name.Option
	if o.insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(s, opts...)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: %w", s, err)
	}
	return ref, nil
}

// remoteOptions are the remote package's options for o.
func (o *options) remoteOptions(ctx context.Context, updates chan<- v1.Update, extra ...remote.Option) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(o.keychain),
		remote.WithTransport(o.transport),
		remote.WithRetryBackoff(o.backoff),
		remote.WithRetryStatusCodes(o.retryStatus...),
		remote.WithUserAgent("berth/" + o.berthVersion),
	}
	if updates != nil {
		opts = append(opts, remote.WithProgress(updates))
	}
	return append(opts, extra...)
}
