package pack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ErrAuth is wrapped by push errors the registry answered with 401 or 403.
var ErrAuth = errors.New("the registry refused the credentials")

// explainAuth turns a 401 or 403 from registry into an error that says what
// to do about it.
func explainAuth(registry string, err error) error {
	var te *transport.Error
	if !errors.As(err, &te) || (te.StatusCode != http.StatusUnauthorized && te.StatusCode != http.StatusForbidden) {
		return err
	}
	return fmt.Errorf("%w (HTTP %d from %s): log in with docker login or podman login, or configure a credential helper in ~/.docker/config.json: %w",
		ErrAuth, te.StatusCode, registry, err)
}

// Push uploads img to the registry as ref and returns its digest. The
// registry receives every blob before the manifest, so a push that fails
// leaves ref as it was. Unless WithVerify(false), Push reads the manifest
// digest back and checks it. Options: WithInsecure, WithKeychain,
// WithTransport, WithRetry, WithVerify, WithProgress.
func Push(ctx context.Context, img v1.Image, ref string, opts ...Option) (v1.Hash, error) {
	o := makeOptions(opts)
	r, err := parseRef(ref, o)
	if err != nil {
		return v1.Hash{}, err
	}
	want, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("computing image digest: %w", err)
	}
	var mu sync.Mutex // remote uploads layers concurrently
	report := func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		o.progress(p)
	}
	updates := make(chan v1.Update, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for u := range updates {
			if u.Error == nil {
				report(Progress{Phase: "push", Complete: u.Complete, Total: u.Total})
			}
		}
	}()
	err = remote.Write(r, &progressImage{Image: img, report: report}, o.remoteOptions(ctx, updates)...)
	<-done // remote.Write closes updates
	if err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", r, explainAuth(r.Context().RegistryStr(), err))
	}
	if o.verify {
		d, err := remote.Head(r, o.remoteOptions(ctx, nil)...)
		if err != nil {
			return v1.Hash{}, fmt.Errorf("verifying %s: %w", r, err)
		}
		if d.Digest != want {
			return v1.Hash{}, fmt.Errorf("verifying %s: the registry has %s, pushed %s", r, d.Digest, want)
		}
	}
	return want, nil
}

// progressImage reports each layer's upload as Progress with Phase "push"
// and Layer set to the layer's digest.
type progressImage struct {
	v1.Image
	report func(Progress)
}

func (i *progressImage) Layers() ([]v1.Layer, error) {
	ls, err := i.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for j, l := range ls {
		out[j] = &progressLayer{Layer: l, report: i.report}
	}
	return out, nil
}

type progressLayer struct {
	v1.Layer
	report func(Progress)
}

// Compressed counts the bytes read from the layer, from 0 on each call (a
// retried upload starts again).
func (l *progressLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	d, err := l.Digest()
	if err != nil {
		rc.Close()
		return nil, err
	}
	size, err := l.Size()
	if err != nil {
		rc.Close()
		return nil, err
	}
	return &countingReader{ReadCloser: rc, report: func(n int64) {
		l.report(Progress{Phase: "push", Layer: d.String(), Complete: n, Total: size})
	}}, nil
}

type countingReader struct {
	io.ReadCloser
	n      int64
	report func(int64)
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n += int64(n)
	if n > 0 {
		r.report(r.n)
	}
	return n, err
}

// WriteLayout writes img into the OCI image layout directory dir, creating
// it if need be, tagged tag (the org.opencontainers.image.ref.name
// annotation, as oci:DIR:TAG names it) when tag is not "", replacing an
// image of the same tag.
func WriteLayout(dir string, img v1.Image, tag string) error {
	p, err := layout.FromPath(dir)
	if errors.Is(err, os.ErrNotExist) {
		p, err = layout.Write(dir, empty.Index)
	}
	if err != nil {
		return fmt.Errorf("opening layout %s: %w", dir, err)
	}
	if tag == "" {
		err = p.AppendImage(img)
	} else {
		err = p.ReplaceImage(img, match.Annotation(refNameAnnotation, tag),
			layout.WithAnnotations(map[string]string{refNameAnnotation: tag}))
	}
	if err != nil {
		return fmt.Errorf("writing image to layout %s: %w", dir, err)
	}
	return nil
}

// WriteTarball writes img to file as a docker save tarball named ref (such
// as `docker load` and `podman load` read).
func WriteTarball(file string, img v1.Image, ref string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("parsing image name %q: %w", ref, err)
	}
	if err := tarball.WriteToFile(file, tag, img); err != nil {
		return fmt.Errorf("writing tarball %s: %w", file, err)
	}
	return nil
}

// LayerInfo describes one layer of an image.
type LayerInfo struct {
	Digest       v1.Hash
	Size         int64  // compressed
	Uncompressed int64  // the tar's size
	CreatedBy    string // what the layer holds, from the image history
}

// Summary describes an image: its digest, sizes and layers.
type Summary struct {
	Digest       v1.Hash
	Size         int64 // compressed layers, config and manifest
	Uncompressed int64 // layers' tars
	Layers       []LayerInfo
	Labels       map[string]string
}

// Describe summarises img; it reads each layer's tar to count its size.
func Describe(img v1.Image) (*Summary, error) {
	s := &Summary{}
	var err error
	if s.Digest, err = img.Digest(); err != nil {
		return nil, fmt.Errorf("describing image: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("describing image: %w", err)
	}
	raw, err := img.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("describing image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("describing image: %w", err)
	}
	s.Labels = cf.Config.Labels
	s.Size = int64(len(raw)) + m.Config.Size
	var hist []v1.History
	for _, h := range cf.History {
		if !h.EmptyLayer {
			hist = append(hist, h)
		}
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("describing image: %w", err)
	}
	for i, l := range layers {
		li := LayerInfo{}
		if li.Digest, err = l.Digest(); err != nil {
			return nil, fmt.Errorf("describing layer %d: %w", i, err)
		}
		if li.Size, err = l.Size(); err != nil {
			return nil, fmt.Errorf("describing layer %d: %w", i, err)
		}
		rc, err := l.Uncompressed()
		if err != nil {
			return nil, fmt.Errorf("describing layer %d: %w", i, err)
		}
		li.Uncompressed, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("describing layer %d: %w", i, err)
		}
		if i < len(hist) {
			li.CreatedBy = hist[i].CreatedBy
		}
		s.Size += li.Size
		s.Uncompressed += li.Uncompressed
		s.Layers = append(s.Layers, li)
	}
	return s, nil
}
