package pack

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/berthml/berth/flavors"
)

// Paths inside a modelcar image.
const (
	// ModelcarPath is where a modelcar image holds the model: KServe shares
	// it with the serving container as /mnt/models.
	ModelcarPath = "/models"
	// ModelcarShell is the static busybox every shell command in a modelcar
	// runs; /bin/sh and ModelcarApplets link to it.
	ModelcarShell = "/bin/busybox"
	// DefaultShell is where Debian's busybox-static package installs it.
	DefaultShell = "/bin/busybox"
)

// ModelcarApplets are the commands a modelcar image provides, as links to
// busybox: what KServe's modelcar container runs (sh -c 'ln -s
// /proc/$$/root/models /mnt/models && sleep infinity') and a few to look
// around with.
var ModelcarApplets = []string{"sh", "ln", "sleep", "ls", "cat", "test", "true", "readlink"}

// ErrShellNotStatic is returned by BuildModelcar when the shell it is given
// loads shared libraries: a modelcar image holds nothing else to load.
var ErrShellNotStatic = errors.New("the shell is not a static executable")

// WithShell sets the static busybox executable put in a modelcar image
// (BuildModelcar). Default: DefaultShell (Debian's busybox-static).
func WithShell(path string) Option { return func(o *options) { o.shell = path } }

// BuildModelcar makes a KServe modelcar image of the MLflow model directory
// dir: the model's files under /models and a static busybox as /bin/sh
// (KServe runs a shell in it), nothing else; no berth, no ONNX Runtime. It
// runs as the uid berth's images use (UID); its command is sh. Build's
// settings WithTime, WithPlatform, WithModelName, WithModelVersion,
// WithSource, WithLargeFileSize, WithCompressionLevel and WithProgress apply; WithBase,
// WithBinary and WithORTLibrary do not (a base is refused).
func BuildModelcar(ctx context.Context, dir string, opts ...Option) (v1.Image, error) {
	o := makeOptions(opts)
	if o.base != "" {
		return nil, errors.New("a modelcar image has no base image: drop --base")
	}
	m, err := flavors.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("opening model %s: %w", dir, err)
	}
	if err := setModelName(o, dir); err != nil {
		return nil, err
	}
	shell := o.shell
	if shell == "" {
		shell = DefaultShell
	}
	if err := checkStatic(shell); err != nil {
		return nil, err
	}
	created := createdTime(m.MLmodel, o)
	mtime := time.Unix(0, 0).UTC()
	if o.created != nil {
		mtime = *o.created
	}

	sh := newTree()
	if err := sh.file(ModelcarShell[1:], shell); err != nil {
		return nil, fmt.Errorf("packing the shell %s: %w", shell, err)
	}
	for _, a := range ModelcarApplets {
		if err := sh.symlink("bin/"+a, "busybox"); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{"tmp", "mnt"} {
		if err := sh.dir(d, 0o1777); err != nil {
			return nil, err
		}
	}
	if err := sh.bytes("etc/passwd", modeFile, fmt.Appendf(nil, "root:x:0:0:root:/root:/bin/sh\nberth:x:%d:%d:berth:/tmp:/bin/sh\n", UID, UID)); err != nil {
		return nil, err
	}
	if err := sh.bytes("etc/group", modeFile, fmt.Appendf(nil, "root:x:0:\nberth:x:%d:\n", UID)); err != nil {
		return nil, err
	}
	model, err := modelTrees(dir, ModelcarPath, o.largeFile)
	if err != nil {
		return nil, fmt.Errorf("packing model %s: %w", dir, err)
	}
	trees := append([]namedTree{{"shell: busybox (static) as /bin/sh", sh}}, model...)

	var built atomic.Bool
	defer built.Store(true)
	stop := func() error {
		if built.Load() {
			return nil
		}
		return ctx.Err()
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	adds := make([]mutate.Addendum, 0, len(trees))
	for i, nt := range trees {
		l, err := nt.tree.layer(stop, mtime, o.level, types.OCILayer)
		if err != nil {
			return nil, fmt.Errorf("packing %s: %w", nt.name, err)
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{
			Created: v1.Time{Time: created}, CreatedBy: "berth pack --modelcar: " + nt.name, Comment: "berth " + o.berthVersion,
		}})
		o.progress(Progress{Phase: "layer", Layer: nt.name, Complete: int64(i + 1), Total: int64(len(trees))})
	}
	if img, err = mutate.Append(img, adds...); err != nil {
		return nil, fmt.Errorf("adding layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: created}
	cf.OS, cf.Architecture, cf.Variant, cf.OSVersion = o.platform.OS, o.platform.Architecture, o.platform.Variant, o.platform.OSVersion
	cf.Config.Cmd = []string{"sh"}
	cf.Config.User = fmt.Sprintf("%d:%d", UID, UID)
	cf.Config.WorkingDir = ModelcarPath
	cf.Config.Env = []string{"PATH=/bin"}
	lb := labels(m.MLmodel, o, created)
	lb[LabelModelcar] = "true"
	cf.Config.Labels = lb
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("setting image config: %w", err)
	}
	return mutate.Annotations(img, lb).(v1.Image), nil
}

// LabelModelcar marks an image made by BuildModelcar.
const LabelModelcar = "ml.berth.modelcar"

// checkStatic refuses an executable that needs a dynamic loader.
func checkStatic(file string) error {
	f, err := elf.Open(file)
	if err != nil {
		return fmt.Errorf("reading the shell %s (apt-get install busybox-static): %w", file, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s: %w (it asks for a dynamic loader; use busybox-static's /bin/busybox)", file, ErrShellNotStatic)
		}
	}
	return nil
}
