package pack

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/berthml/berth/flavors"
)

const irisDir = "../testdata/models/iris_logreg"

// fakeRuntime writes small stand-ins for the berth binary and the ONNX
// Runtime library, so that tests do not pack 80 MB.
func fakeRuntime(t *testing.T) (bin, ort string) {
	t.Helper()
	dir := t.TempDir()
	bin, ort = filepath.Join(dir, "berth"), filepath.Join(dir, "libonnxruntime.so.1")
	if err := os.WriteFile(bin, []byte("#!/bin/true fake berth\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ort, []byte("fake onnxruntime\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return bin, ort
}

// noLibs is a library resolver for fake files.
func noLibs(context.Context, ...string) ([]string, error) { return nil, nil }

// copyModel copies the iris model into a temporary directory, with a
// 2 MiB weights file so that the model has a large-file layer.
func copyModel(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "iris")
	if err := os.CopyFS(dst, os.DirFS(irisDir)); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 2<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	if err := os.WriteFile(filepath.Join(dst, "weights.bin"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

func build(t *testing.T, dir string, opts ...Option) v1.Image {
	t.Helper()
	bin, ort := fakeRuntime(t)
	opts = append([]Option{WithBinary(bin), WithORTLibrary(ort), WithLibraryResolver(noLibs)}, opts...)
	img, err := Build(context.Background(), dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Hash
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBuildIsReproducible(t *testing.T) {
	dir := copyModel(t)
	a, b := build(t, dir), build(t, dir)
	if da, db := digest(t, a), digest(t, b); da != db {
		t.Fatalf("two builds of one model: digests %s and %s", da, db)
	}
	// Touching the files changes no digest either.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "MLmodel"), future, future); err != nil {
		t.Fatal(err)
	}
	if dc := digest(t, build(t, dir)); dc != digest(t, a) {
		t.Fatalf("after touching MLmodel: digest %s, want %s", dc, digest(t, a))
	}
	// SOURCE_DATE_EPOCH moves the files' times and the creation time.
	if dd := digest(t, build(t, dir, WithTime(time.Unix(1700000000, 0)))); dd == digest(t, a) {
		t.Fatal("WithTime did not change the digest")
	}
}

func TestModelChangeChangesOnlyModelLayers(t *testing.T) {
	dir := copyModel(t)
	before := digests(t, build(t, dir))
	if len(before) != 3 {
		t.Fatalf("%d layers, want 3 (runtime, weights.bin, small files)", len(before))
	}
	tests := []struct {
		name    string
		file    string
		changed []bool // runtime, weights, small files
	}{
		{"small file", "requirements.txt", []bool{false, false, true}},
		{"weights", "weights.bin", []bool{false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.OpenFile(filepath.Join(dir, tt.file), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("changed\n")
			f.Close()
			after := digests(t, build(t, dir))
			for i := range before {
				if got := before[i] != after[i]; got != tt.changed[i] {
					t.Errorf("layer %d changed: %v, want %v", i, got, tt.changed[i])
				}
			}
			before = after
		})
	}
}

func TestConfigAndLabels(t *testing.T) {
	img := build(t, irisDir, WithModelName("iris"), WithModelVersion("3"), WithSource("models:/iris/3"), WithBerthVersion("1.2.3"))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if got := strings.Join(c.Entrypoint, " "); got != "/usr/local/bin/berth serve /opt/ml/model --host 0.0.0.0 --port 8080" {
		t.Errorf("entrypoint %q", got)
	}
	if c.User != "65532:65532" || c.WorkingDir != ModelPath {
		t.Errorf("user %q, workdir %q", c.User, c.WorkingDir)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v", c.ExposedPorts)
	}
	if got := strings.Join(c.Env, " "); got != "PATH="+DefaultPath+" BERTH_ORT_LIB="+ORTLibPath {
		t.Errorf("env %q", got)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	if want := time.Date(2026, 11, 28, 6, 0, 1, 0, time.UTC); !cf.Created.Time.Equal(want) {
		t.Errorf("created %v, want the MLmodel's utc_time_created %v", cf.Created.Time, want)
	}
	want := map[string]string{
		"org.opencontainers.image.title":    "iris",
		"org.opencontainers.image.version":  "3",
		"org.opencontainers.image.created":  "2026-11-28T06:00:01Z",
		"org.opencontainers.image.source":   "models:/iris/3",
		"org.opencontainers.image.revision": "",
		LabelModelName:                      "iris",
		LabelModelVersion:                   "3",
		LabelModelUUID:                      "040d032b573e57f29777c4c5fbbfe483",
		LabelFlavor:                         "onnx,python_function",
		LabelSignature:                      "sepal_length:float,sepal_width:float,petal_length:float,petal_width:float",
		LabelBerthVersion:                   "1.2.3",
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if c.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
		if m.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, m.Annotations[k], v)
		}
	}
	if !strings.Contains(c.Labels["org.opencontainers.image.description"], "iris version 3") {
		t.Errorf("description %q", c.Labels["org.opencontainers.image.description"])
	}
}

type tarEntry struct {
	typ            byte
	mode           int64
	uid, gid, size int64
	link           string
	mtime          time.Time
}

func layerEntries(t *testing.T, l v1.Layer) ([]string, map[string]tarEntry) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	m := map[string]tarEntry{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		m[h.Name] = tarEntry{h.Typeflag, h.Mode, int64(h.Uid), int64(h.Gid), h.Size, h.Linkname, h.ModTime}
	}
	return names, m
}

func TestLayerContents(t *testing.T) {
	dir := copyModel(t)
	// A drift reference travels with the model, so the image's berth serve
	// monitors drift.
	if err := os.WriteFile(filepath.Join(dir, "drift_reference.json"), []byte(`{"version":1,"features":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	img := build(t, dir)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]int64{
		{"usr/local/bin/berth": 0o755, "usr/lib/berth/libonnxruntime.so.1": 0o755, "etc/passwd": 0o644, "etc/group": 0o644, "tmp/": 0o1777, "usr/": 0o755},
		{"opt/ml/model/weights.bin": 0o644, "opt/ml/model/": 0o755},
		{"opt/ml/model/MLmodel": 0o644, "opt/ml/model/model.onnx": 0o644, "opt/ml/model/drift_reference.json": 0o644, "opt/": 0o755},
	}
	for i, l := range ls {
		names, entries := layerEntries(t, l)
		for j := 1; j < len(names); j++ {
			if names[j-1] >= names[j] {
				t.Errorf("layer %d: %q before %q: not sorted", i, names[j-1], names[j])
			}
		}
		for name, e := range entries {
			if e.uid != 0 || e.gid != 0 || !e.mtime.Equal(time.Unix(0, 0)) {
				t.Errorf("layer %d: %s: uid %d gid %d mtime %v", i, name, e.uid, e.gid, e.mtime)
			}
		}
		for name, mode := range want[i] {
			if e, ok := entries[name]; !ok || e.mode != mode {
				t.Errorf("layer %d: %s: mode %o (present %v), want %o", i, name, e.mode, ok, mode)
			}
		}
		if i == 2 {
			if _, ok := entries["opt/ml/model/weights.bin"]; ok {
				t.Error("the small-file layer holds weights.bin")
			}
		}
	}
}

func TestBuildErrors(t *testing.T) {
	bin, ort := fakeRuntime(t)
	missing := func(context.Context, ...string) ([]string, error) {
		return nil, ErrMissingLibrary
	}
	tests := []struct {
		name string
		dir  string
		opts []Option
		want string
		is   error
	}{
		{"unknown model dir", "no/such/model", []Option{WithORTLibrary(ort)}, "opening model no/such/model", flavors.ErrNoMLmodel},
		{"no ORT library", irisDir, nil, "", ErrNoORTLibrary},
		{"ORT library missing", irisDir, []Option{WithORTLibrary("/no/libonnxruntime.so.1")}, "packing the ONNX Runtime library", os.ErrNotExist},
		{"binary missing", irisDir, []Option{WithBinary("/no/berth"), WithORTLibrary(ort)}, "packing the berth binary", os.ErrNotExist},
		{"host library missing", irisDir, []Option{WithORTLibrary(ort), WithLibraryResolver(missing)}, "finding the libraries", ErrMissingLibrary},
		{"foreign platform", irisDir, []Option{WithORTLibrary(ort), WithPlatform(v1.Platform{OS: "linux", Architecture: "riscv64"})}, "needs a base image", nil},
		{"bad base", irisDir, []Option{WithORTLibrary(ort), WithBase("oci:/no/such/layout")}, "reading base image", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]Option{WithBinary(bin), WithLibraryResolver(noLibs)}, tt.opts...)
			_, err := Build(context.Background(), tt.dir, opts...)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
		})
	}
}

func TestBuildCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	bin, ort := fakeRuntime(t)
	_, err := Build(ctx, irisDir, WithBinary(bin), WithORTLibrary(ort), WithLibraryResolver(noLibs))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// BenchmarkBuildToLayout packs the iris model with a 32 MiB stand-in for
// the runtime and writes it to a layout.
func BenchmarkBuildToLayout(b *testing.B) {
	dir := b.TempDir()
	bin, ort := filepath.Join(dir, "berth"), filepath.Join(dir, "ort")
	big := make([]byte, 32<<20)
	for i := range big {
		big[i] = byte(i * 31 >> 7)
	}
	os.WriteFile(bin, big, 0o755)
	os.WriteFile(ort, big[:1<<20], 0o644)
	b.SetBytes(int64(len(big)))
	for b.Loop() {
		img, err := Build(context.Background(), irisDir, WithBinary(bin), WithORTLibrary(ort), WithLibraryResolver(noLibs))
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteLayout(filepath.Join(dir, "layout"), img, "x"); err != nil {
			b.Fatal(err)
		}
	}
}
