package modelpack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/berthml/berth/flavors"
)

// ModelDir is where berth's runnable images keep the model; Pull of such
// an image extracts the files under it.
const ModelDir = "opt/ml/model"

// Kinds of artifact Pull understands.
const (
	KindModelPack = "modelpack" // a CNCF ModelPack artifact
	KindImage     = "image"     // a container image with the model under /opt/ml/model
)

var (
	// ErrUnsupported is wrapped by the error for an artifact that is neither
	// a ModelPack artifact nor a container image.
	ErrUnsupported = errors.New("unsupported artifact")
	// ErrTooLarge is wrapped by the error for an artifact that would write
	// more than WithMaxSize bytes.
	ErrTooLarge = errors.New("artifact too large")
	// ErrDirNotEmpty is wrapped by the error Pull returns when the
	// destination exists and is not an empty directory.
	ErrDirNotEmpty = errors.New("destination exists and is not an empty directory")
)

// Result is what Pull wrote.
type Result struct {
	Dir    string  // the destination directory
	Digest v1.Hash // the manifest digest
	Kind   string  // KindModelPack or KindImage
	Files  []File  // in the order written
}

// File is one file Pull wrote.
type File struct {
	Path string // slash-separated, relative to Result.Dir
	Size int64
}

// Pull fetches the artifact ref from its registry into dir, a directory
// that must not exist yet or be empty, and returns what it wrote. ref is a
// ModelPack artifact (each layer becomes the file its
// org.cncf.model.filepath annotation names) or a berth runnable image (the
// regular files under /opt/ml/model of its layers become the directory).
// Everything read from the registry is untrusted: see the package
// documentation. On any error dir is left as it was.
//
// Options: WithKeychain, WithInsecure, WithTransport, WithProgress
// (compressed bytes read of all layers, and the file being written).
func Pull(ctx context.Context, ref, dir string, opts ...Option) (*Result, error) {
	o := makeOptions(opts)
	r, err := name.ParseReference(ref, o.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	img, err := remote.Image(r, o.remoteOptions(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", r, err)
	}
	res, err := PullImage(ctx, img, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", r, err)
	}
	return res, nil
}

// PullImage is Pull for an image already at hand (from remote, a layout or
// a tarball).
func PullImage(ctx context.Context, img v1.Image, dir string, opts ...Option) (res *Result, err error) {
	o := makeOptions(opts)
	mf, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	kind, err := detectKind(mf)
	if err != nil {
		return nil, err
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("computing manifest digest: %w", err)
	}
	if err := checkDest(dir); err != nil {
		return nil, err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, ".berth-pull-*")
	if err != nil {
		return nil, fmt.Errorf("creating temporary directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return nil, err
	}
	defer root.Close()

	w := &writer{ctx: ctx, root: root, o: &o, files: map[string]int{}}
	for _, l := range mf.Layers {
		w.total += l.Size
	}
	if kind == KindModelPack && w.total > o.maxSize {
		return nil, fmt.Errorf("%w: layers of %d bytes, more than %d", ErrTooLarge, w.total, o.maxSize)
	}
	for i, desc := range mf.Layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		w.layer = i
		if err := w.pullLayer(img, kind, desc); err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, desc.Digest, err)
		}
	}
	if _, err := root.Stat("MLmodel"); err != nil {
		return nil, fmt.Errorf("%w: the %s holds no MLflow model (no MLmodel file at its root)", ErrUnsupported, kind)
	}
	if _, err := flavors.Open(tmp); err != nil {
		return nil, fmt.Errorf("%w: the %s holds no readable MLflow model: %w", ErrUnsupported, kind, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	if err := checkDest(dir); err != nil { // it may have changed meanwhile
		return nil, err
	}
	os.Remove(dir) // an empty directory, or nothing
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("moving the model into %s: %w", dir, err)
	}
	res = &Result{Dir: dir, Digest: digest, Kind: kind}
	seen := map[string]bool{}
	for _, p := range w.order {
		if size, ok := w.sizes[p]; ok && !seen[p] {
			seen[p] = true
			res.Files = append(res.Files, File{Path: p, Size: size})
		}
	}
	return res, nil
}

// detectKind tells a ModelPack artifact from a container image.
func detectKind(mf *v1.Manifest) (string, error) {
	if mf.ArtifactType == ArtifactType || mf.Config.MediaType == MediaTypeConfig {
		return KindModelPack, nil
	}
	if len(mf.Layers) == 0 {
		return "", fmt.Errorf("%w: no layers", ErrUnsupported)
	}
	for _, l := range mf.Layers {
		if imageLayerKind(l.MediaType) == kindUnknown {
			return "", fmt.Errorf("%w: layer media type %q (artifactType %q, config %q)",
				ErrUnsupported, l.MediaType, mf.ArtifactType, mf.Config.MediaType)
		}
	}
	return KindImage, nil
}

// checkDest makes sure dir does not exist or is an empty directory.
func checkDest(dir string) error {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking %s: %w", dir, err)
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.IsDir() {
		return fmt.Errorf("%w: %s", ErrDirNotEmpty, dir)
	}
	if _, err := f.Readdirnames(1); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %s", ErrDirNotEmpty, dir)
	}
	return nil
}
