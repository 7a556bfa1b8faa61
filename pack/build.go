package pack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/berthml/berth/flavors"
)

// Paths and settings inside the image.
const (
	BinaryPath  = "/usr/local/bin/berth"
	ORTLibPath  = "/usr/lib/berth/libonnxruntime.so.1"
	ModelPath   = "/opt/ml/model"
	Port        = "8080"
	UID         = 65532
	DefaultPath = "/usr/local/bin:/usr/bin:/bin"
)

// ErrNoORTLibrary is returned by Build when WithORTLibrary was not given.
var ErrNoORTLibrary = errors.New("no ONNX Runtime library given")

// Build makes a runnable image that serves the MLflow model directory dir on
// port 8080; see the package documentation for its layers. The image's
// layers are computed (compressed and hashed) before Build returns.
func Build(ctx context.Context, dir string, opts ...Option) (v1.Image, error) {
	o := makeOptions(opts)
	m, err := flavors.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("opening model %s: %w", dir, err)
	}
	if err := setModelName(o, dir); err != nil {
		return nil, err
	}
	if o.ortLib == "" {
		return nil, ErrNoORTLibrary
	}
	if o.binary == "" {
		if o.binary, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("finding the berth executable: %w", err)
		}
	}
	created := createdTime(m.MLmodel, o)
	mtime := time.Unix(0, 0).UTC()
	if o.created != nil {
		mtime = *o.created
	}

	base, mt, err := baseImage(ctx, o)
	if err != nil {
		return nil, err
	}
	layerType := types.OCILayer
	if mt == types.DockerManifestSchema2 {
		layerType = types.DockerLayer
	}

	rt, err := runtimeTree(ctx, o)
	if err != nil {
		return nil, err
	}
	model, err := modelTrees(dir, ModelPath, o.largeFile)
	if err != nil {
		return nil, fmt.Errorf("packing model %s: %w", dir, err)
	}
	rtName := "runtime: berth, ONNX Runtime and host libraries"
	if o.base != "" {
		rtName = "runtime: berth and ONNX Runtime"
	}
	trees := append([]namedTree{{rtName, rt}}, model...)

	// Making a layer reads it through, and stops when ctx is done; reading
	// it later (to push or write it) does not depend on ctx.
	var built atomic.Bool
	defer built.Store(true)
	stop := func() error {
		if built.Load() {
			return nil
		}
		return ctx.Err()
	}
	adds := make([]mutate.Addendum, 0, len(trees))
	for i, nt := range trees {
		l, err := nt.tree.layer(stop, mtime, o.level, layerType)
		if err != nil {
			return nil, fmt.Errorf("packing %s: %w", nt.name, err)
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{
			Created: v1.Time{Time: created}, CreatedBy: "berth pack: " + nt.name, Comment: "berth " + o.berthVersion,
		}})
		o.progress(Progress{Phase: "layer", Layer: nt.name, Complete: int64(i + 1), Total: int64(len(trees))})
	}
	img, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, fmt.Errorf("adding layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	cf = cf.DeepCopy()
	lb := labels(m.MLmodel, o, created)
	configure(cf, o, created, lb)
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("setting image config: %w", err)
	}
	if mt == types.OCIManifestSchema1 {
		img = mutate.Annotations(img, lb).(v1.Image)
	}
	return img, nil
}

// configure sets the parts of the config berth owns, keeping a base image's
// other settings and environment.
func configure(cf *v1.ConfigFile, o *options, created time.Time, labels map[string]string) {
	cf.Created = v1.Time{Time: created}
	cf.OS, cf.Architecture, cf.Variant, cf.OSVersion = o.platform.OS, o.platform.Architecture, o.platform.Variant, o.platform.OSVersion
	c := &cf.Config
	c.Entrypoint = []string{BinaryPath, "serve", ModelPath, "--host", "0.0.0.0", "--port", Port}
	c.Cmd = nil
	c.User = fmt.Sprintf("%d:%d", UID, UID)
	c.WorkingDir = ModelPath
	c.ExposedPorts = map[string]struct{}{Port + "/tcp": {}}
	env := map[string]string{"PATH": DefaultPath}
	var keys []string
	for _, kv := range c.Env {
		k, v, _ := cutEnv(kv)
		if _, ok := env[k]; !ok {
			keys = append(keys, k)
		}
		env[k] = v
	}
	env["BERTH_ORT_LIB"] = ORTLibPath
	out := []string{"PATH=" + env["PATH"]}
	for _, k := range keys {
		if k != "PATH" && k != "BERTH_ORT_LIB" {
			out = append(out, k+"="+env[k])
		}
	}
	c.Env = append(out, "BERTH_ORT_LIB="+ORTLibPath)
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	for k, v := range labels {
		c.Labels[k] = v
	}
}

func cutEnv(kv string) (k, v string, ok bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

// runtimeTree is the runtime layer: berth, ONNX Runtime and, without a base
// image, the host libraries both need, the loader, passwd, group and /tmp.
func runtimeTree(ctx context.Context, o *options) (*tree, error) {
	t := newTree()
	if err := t.file(BinaryPath, o.binary); err != nil {
		return nil, fmt.Errorf("packing the berth binary: %w", err)
	}
	if err := t.file(ORTLibPath, o.ortLib); err != nil {
		return nil, fmt.Errorf("packing the ONNX Runtime library: %w", err)
	}
	t.entries[clean(BinaryPath)].mode = modeExec
	t.entries[clean(ORTLibPath)].mode = modeExec
	if o.base != "" {
		return t, nil
	}
	if o.platform.OS != runtime.GOOS || o.platform.Architecture != runtime.GOARCH {
		return nil, fmt.Errorf("packing for %s/%s on a %s/%s host needs a base image (WithBase) to provide the libraries",
			o.platform.OS, o.platform.Architecture, runtime.GOOS, runtime.GOARCH)
	}
	libs, err := o.resolveLibs(ctx, o.binary, o.ortLib)
	if err != nil {
		return nil, fmt.Errorf("finding the libraries berth and ONNX Runtime need: %w", err)
	}
	for _, l := range libs {
		if err := t.hostPath(l); err != nil {
			return nil, fmt.Errorf("packing host library: %w", err)
		}
	}
	steps := []error{
		t.bytes("etc/passwd", modeFile, fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nberth:x:%d:%d:berth:/tmp:/sbin/nologin\n", UID, UID)),
		t.bytes("etc/group", modeFile, fmt.Appendf(nil, "root:x:0:\nberth:x:%d:\n", UID)),
		t.dir("tmp", modeTmp),
	}
	if err := errors.Join(steps...); err != nil {
		return nil, fmt.Errorf("packing the base files: %w", err)
	}
	return t, nil
}

type namedTree struct {
	name string
	tree *tree
}

// setModelName defaults the model's name to the directory's base name.
func setModelName(o *options, dir string) error {
	if o.modelName != "" {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("opening model %s: %w", dir, err)
	}
	o.modelName = filepath.Base(abs)
	return nil
}

// modelTrees splits the model directory, put under root in the image, into
// one tree per file of at least large bytes, by path, then one tree with the
// small files and every directory. Symbolic links are followed.
func modelTrees(dir, root string, large int64) ([]namedTree, error) {
	small := newTree()
	if err := small.dir(root, modeDir); err != nil {
		return nil, err
	}
	var big []namedTree
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		dst := path.Join(root, filepath.ToSlash(rel))
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			if d.Type()&fs.ModeSymlink != 0 {
				return fmt.Errorf("%s: a link to a directory is not supported", p)
			}
			return small.dir(dst, modeDir)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s: not a regular file", p)
		case fi.Size() >= large:
			t := newTree()
			big = append(big, namedTree{"model file " + dst, t})
			return t.file(dst, p)
		}
		return small.file(dst, p)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(big, func(a, b namedTree) int { return strings.Compare(a.name, b.name) })
	return append(big, namedTree{"model files under " + root, small}), nil
}

// baseImage is the image to build on and its manifest media type: the base
// image when WithBase is given, else an empty OCI image.
func baseImage(ctx context.Context, o *options) (v1.Image, types.MediaType, error) {
	if o.base == "" {
		img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		return img, types.OCIManifestSchema1, nil
	}
	img, err := loadBase(ctx, o)
	if err != nil {
		return nil, "", fmt.Errorf("reading base image %s: %w", o.base, err)
	}
	mt, err := img.MediaType()
	if err != nil {
		return nil, "", fmt.Errorf("reading base image %s: %w", o.base, err)
	}
	return img, mt, nil
}
