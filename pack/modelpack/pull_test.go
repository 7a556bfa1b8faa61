package modelpack_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/pack/modelpack"
)

// newRegistry starts an in-process OCI registry and returns its host:port.
// wrap, if not nil, sits in front of it.
func newRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// sameFiles fails unless got holds exactly the regular files of want.
func sameFiles(t *testing.T, want, got string) {
	t.Helper()
	list := func(dir string) map[string][]byte {
		files := map[string][]byte{}
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			b, err := os.ReadFile(p)
			files[rel] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	w, g := list(want), list(got)
	if len(w) != len(g) {
		t.Errorf("%d files, want %d", len(g), len(w))
	}
	for p, b := range w {
		if !bytes.Equal(g[p], b) {
			t.Errorf("%s differs (%d bytes, want %d)", p, len(g[p]), len(b))
		}
	}
}

func TestPushPullRoundTrip(t *testing.T) {
	ctx := context.Background()
	if _, err := os.Stat(externalDir); err != nil {
		t.Fatalf("conformance model missing (git checkout -- testdata/conformance): %v", err)
	}
	dirs := []string{irisDir, externalDir}
	host := newRegistry(t, nil)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			img, err := modelpack.Build(dir)
			if err != nil {
				t.Fatal(err)
			}
			ref := host + "/models/" + strings.ToLower(filepath.Base(dir)) + ":1"
			var pushed atomic.Int64
			d, err := modelpack.Push(ctx, img, ref, modelpack.WithProgress(func(p modelpack.Progress) { pushed.Store(p.Complete) }))
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := img.Digest(); d != want {
				t.Errorf("Push returned %s, image digest %s", d, want)
			}
			if pushed.Load() == 0 {
				t.Error("no push progress")
			}

			out := filepath.Join(t.TempDir(), "pulled")
			var reports int
			res, err := modelpack.Pull(ctx, ref, out, modelpack.WithProgress(func(modelpack.Progress) { reports++ }))
			if err != nil {
				t.Fatal(err)
			}
			if res.Kind != modelpack.KindModelPack || res.Digest != d || res.Dir != out || reports == 0 {
				t.Errorf("result %+v, %d progress reports", res, reports)
			}
			sameFiles(t, dir, out)
			if _, err := flavors.Open(out); err != nil {
				t.Errorf("flavors.Open of the pulled model: %v", err)
			}
			// By digest too, into an existing empty directory.
			empty := t.TempDir()
			if _, err := modelpack.Pull(ctx, host+"/models/"+strings.ToLower(filepath.Base(dir))+"@"+d.String(), empty); err != nil {
				t.Fatal(err)
			}
			sameFiles(t, dir, empty)
		})
	}
}

func TestPullRefusesNonEmptyDir(t *testing.T) {
	img, err := modelpack.Build(irisDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := modelpack.PullImage(context.Background(), img, dir); !errors.Is(err, modelpack.ErrDirNotEmpty) {
		t.Fatalf("err = %v, want ErrDirNotEmpty", err)
	}
}

// fileLayer is a layer of an artifact under test: content, its media type
// and filepath annotation.
type fileLayer struct {
	path, content string
	mediaType     types.MediaType
}

// hostileArtifact builds a ModelPack-shaped artifact from layers, with
// whatever annotations they say.
func hostileArtifact(t *testing.T, layers ...fileLayer) v1.Image {
	t.Helper()
	var adds []mutate.Addendum
	for _, l := range layers {
		mt := l.mediaType
		if mt == "" {
			mt = modelpack.MediaTypeWeightRaw
		}
		adds = append(adds, mutate.Addendum{
			Layer:       static.NewLayer([]byte(l.content), mt),
			Annotations: map[string]string{modelpack.AnnotationFilepath: l.path},
		})
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, modelpack.MediaTypeConfig)
}

// wrongDigestLayer claims the digest of claim but serves content.
type wrongDigestLayer struct {
	v1.Layer
	claim v1.Layer
}

func (l wrongDigestLayer) Digest() (v1.Hash, error) { return l.claim.Digest() }
func (l wrongDigestLayer) Size() (int64, error)     { return l.claim.Size() }

// checkNothingWritten fails if the sandbox holds anything but what the test
// made: no destination, no temporary directory, no escaped file.
func checkNothingWritten(t *testing.T, sandbox string, allowed ...string) {
	t.Helper()
	var found []string
	filepath.WalkDir(sandbox, func(p string, d os.DirEntry, err error) error {
		if p != sandbox {
			rel, _ := filepath.Rel(sandbox, p)
			found = append(found, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(found)
	sort.Strings(allowed)
	if strings.Join(found, ",") != strings.Join(allowed, ",") {
		t.Errorf("sandbox holds %v, want %v", found, allowed)
	}
}

func TestPullHostileModelPack(t *testing.T) {
	mlmodel, err := os.ReadFile(filepath.Join(irisDir, "MLmodel"))
	if err != nil {
		t.Fatal(err)
	}
	ok := fileLayer{path: "MLmodel", content: string(mlmodel), mediaType: modelpack.MediaTypeWeightConfigRaw}
	for _, tc := range []struct {
		name    string
		layers  []fileLayer
		wantErr error
	}{
		{"parent", []fileLayer{ok, {path: "../x", content: "evil"}}, modelpack.ErrUnsafePath},
		{"absolute", []fileLayer{ok, {path: "/etc/passwd", content: "evil"}}, modelpack.ErrUnsafePath},
		{"inner parent", []fileLayer{ok, {path: "a/../../b", content: "evil"}}, modelpack.ErrUnsafePath},
		{"backslash", []fileLayer{ok, {path: `..\x`, content: "evil"}}, modelpack.ErrUnsafePath},
		{"nul", []fileLayer{ok, {path: "x\x00y", content: "evil"}}, modelpack.ErrUnsafePath},
		{"empty", []fileLayer{ok, {path: "", content: "evil"}}, modelpack.ErrUnsafePath},
		{"dot", []fileLayer{ok, {path: "./MLmodel", content: "evil"}}, modelpack.ErrUnsafePath},
		{"duplicate", []fileLayer{ok, {path: "MLmodel", content: "flavors: {}\n"}}, modelpack.ErrUnsafePath},
		{"file then dir", []fileLayer{ok, {path: "a", content: "1"}, {path: "a/b", content: "2"}}, nil},
		{"unknown media type", []fileLayer{ok, {path: "x", content: "1", mediaType: "application/x-evil"}}, modelpack.ErrUnsupported},
		{"no MLmodel", []fileLayer{{path: "model.onnx", content: "1"}}, modelpack.ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sandbox := t.TempDir()
			dest := filepath.Join(sandbox, "out", "model")
			_, err := modelpack.PullImage(context.Background(), hostileArtifact(t, tc.layers...), dest)
			if err == nil {
				t.Fatal("PullImage succeeded")
			}
			t.Log(err)
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			checkNothingWritten(t, sandbox, "out")
		})
	}
}

func TestPullDigestMismatch(t *testing.T) {
	mlmodel, err := os.ReadFile(filepath.Join(irisDir, "MLmodel"))
	if err != nil {
		t.Fatal(err)
	}
	good := static.NewLayer(mlmodel, modelpack.MediaTypeWeightConfigRaw)
	for _, tc := range []struct {
		name  string
		layer v1.Layer
	}{
		{"other content", wrongDigestLayer{Layer: static.NewLayer(bytes.Repeat([]byte("x"), len(mlmodel)), modelpack.MediaTypeWeightRaw), claim: good}},
		{"longer", wrongDigestLayer{Layer: static.NewLayer(append(mlmodel, '\n'), modelpack.MediaTypeWeightRaw), claim: good}},
		{"shorter", wrongDigestLayer{Layer: static.NewLayer(mlmodel[1:], modelpack.MediaTypeWeightRaw), claim: good}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := mutate.Append(empty.Image, mutate.Addendum{
				Layer:       tc.layer,
				Annotations: map[string]string{modelpack.AnnotationFilepath: "MLmodel"},
			})
			if err != nil {
				t.Fatal(err)
			}
			img = mutate.ConfigMediaType(img, modelpack.MediaTypeConfig)
			sandbox := t.TempDir()
			_, err = modelpack.PullImage(context.Background(), img, filepath.Join(sandbox, "model"))
			if !errors.Is(err, modelpack.ErrDigestMismatch) {
				t.Fatalf("err = %v, want ErrDigestMismatch", err)
			}
			t.Log(err)
			checkNothingWritten(t, sandbox)
		})
	}
}

// TestPullTamperingRegistry pulls from a registry that serves other bytes
// for a blob than the manifest's digest names.
func TestPullTamperingRegistry(t *testing.T) {
	ctx := context.Background()
	img, err := modelpack.Build(irisDir)
	if err != nil {
		t.Fatal(err)
	}
	mf, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var victim string
	for _, l := range mf.Layers {
		if l.Annotations[modelpack.AnnotationFilepath] == "model.onnx" {
			victim = l.Digest.String()
		}
	}
	host := newRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+victim) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				b := rec.Body.Bytes()
				if len(b) > 0 {
					b[len(b)/2] ^= 0xff
				}
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				w.Write(b)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	ref := host + "/models/iris:1"
	if _, err := modelpack.Push(ctx, img, ref); err != nil {
		t.Fatal(err)
	}
	sandbox := t.TempDir()
	_, err = modelpack.Pull(ctx, ref, filepath.Join(sandbox, "model"))
	if err == nil {
		t.Fatal("Pull succeeded")
	}
	t.Log(err)
	checkNothingWritten(t, sandbox)
}

// tarEntry is one entry of a test image layer.
type tarEntry struct {
	name     string
	typeflag byte
	content  string
}

// imageLayer returns a gzip tar image layer of entries.
func imageLayer(t *testing.T, entries ...tarEntry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typeflag, Mode: 0o644, Size: int64(len(e.content))}
		switch e.typeflag {
		case tar.TypeDir:
			hdr.Mode, hdr.Size = 0o755, 0
		case tar.TypeSymlink, tar.TypeLink:
			hdr.Linkname, hdr.Size = e.content, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			if _, err := io.WriteString(tw, e.content); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return static.NewLayer(buf.Bytes(), types.OCILayer)
}

// modelEntries returns the files of the model directory dir as tar entries
// under opt/ml/model/.
func modelEntries(t *testing.T, dir string) []tarEntry {
	t.Helper()
	entries := []tarEntry{
		{name: "opt/", typeflag: tar.TypeDir},
		{name: "opt/ml/", typeflag: tar.TypeDir},
		{name: "opt/ml/model/", typeflag: tar.TypeDir},
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, tarEntry{name: "opt/ml/model/" + de.Name(), typeflag: tar.TypeReg, content: string(b)})
	}
	return entries
}

func TestPullRunnableImage(t *testing.T) {
	ctx := context.Background()
	base := imageLayer(t,
		tarEntry{name: "usr/", typeflag: tar.TypeDir},
		tarEntry{name: "usr/local/bin/berth", typeflag: tar.TypeReg, content: "\x7fELF"},
		tarEntry{name: "etc/ssl/cert.pem", typeflag: tar.TypeSymlink, content: "/usr/share/cert.pem"},
	)
	var entries []tarEntry
	for _, e := range modelEntries(t, irisDir) {
		if e.name != "opt/ml/model/expected.json" {
			entries = append(entries, e)
		}
	}
	model := imageLayer(t, append(entries,
		tarEntry{name: "opt/ml/model/stale.txt", typeflag: tar.TypeReg, content: "old"},
		tarEntry{name: "opt/ml/model/expected.json", typeflag: tar.TypeReg, content: "old"})...)
	expected, err := os.ReadFile(filepath.Join(irisDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A later layer replaces one file and deletes another, as overlayfs would.
	top := imageLayer(t,
		tarEntry{name: "opt/ml/model/.wh.stale.txt", typeflag: tar.TypeReg},
		tarEntry{name: "./opt/ml/model/expected.json", typeflag: tar.TypeReg, content: string(expected)},
	)
	img, err := mutate.AppendLayers(empty.Image, base, model, top)
	if err != nil {
		t.Fatal(err)
	}
	host := newRegistry(t, nil)
	ref := host + "/berth/iris:1"
	if _, err := modelpack.Push(ctx, img, ref); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "model")
	res, err := modelpack.Pull(ctx, ref, out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != modelpack.KindImage {
		t.Errorf("kind = %q", res.Kind)
	}
	sameFiles(t, irisDir, out)
	if _, err := flavors.Open(out); err != nil {
		t.Error(err)
	}
	for _, f := range res.Files {
		if f.Path == "stale.txt" {
			t.Errorf("result lists the deleted stale.txt: %+v", res.Files)
		}
	}
}

func TestPullHostileImage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra []tarEntry
	}{
		{"parent escape", []tarEntry{{name: "../../evil", typeflag: tar.TypeReg, content: "evil"}}},
		{"escape inside model dir", []tarEntry{{name: "opt/ml/model/../../../../evil", typeflag: tar.TypeReg, content: "evil"}}},
		{"absolute escape", []tarEntry{{name: "/../evil", typeflag: tar.TypeReg, content: "evil"}}},
		{"symlink in model dir", []tarEntry{{name: "opt/ml/model/link", typeflag: tar.TypeSymlink, content: "/etc/passwd"}}},
		{"hard link in model dir", []tarEntry{{name: "opt/ml/model/link", typeflag: tar.TypeLink, content: "etc/passwd"}}},
		{"duplicate in a layer", []tarEntry{{name: "opt/ml/model/MLmodel", typeflag: tar.TypeReg, content: "x"}}},
		{"backslash", []tarEntry{{name: `opt/ml/model/..\evil`, typeflag: tar.TypeReg, content: "x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			layer := imageLayer(t, append(modelEntries(t, irisDir), tc.extra...)...)
			img, err := mutate.AppendLayers(empty.Image, layer)
			if err != nil {
				t.Fatal(err)
			}
			sandbox := t.TempDir()
			dest := filepath.Join(sandbox, "a", "b", "model")
			_, err = modelpack.PullImage(context.Background(), img, dest)
			if !errors.Is(err, modelpack.ErrUnsafePath) {
				t.Fatalf("err = %v, want ErrUnsafePath", err)
			}
			t.Log(err)
			checkNothingWritten(t, sandbox, "a", "a/b")
		})
	}
}

func TestPullLimits(t *testing.T) {
	// A gzip bomb: 4 MiB of zeros in a few KiB of layer.
	bomb := imageLayer(t, append(modelEntries(t, irisDir),
		tarEntry{name: "opt/ml/model/zeros", typeflag: tar.TypeReg, content: string(make([]byte, 4<<20))})...)
	img, err := mutate.AppendLayers(empty.Image, bomb)
	if err != nil {
		t.Fatal(err)
	}
	sandbox := t.TempDir()
	_, err = modelpack.PullImage(context.Background(), img, filepath.Join(sandbox, "m"), modelpack.WithMaxSize(1<<20))
	if !errors.Is(err, modelpack.ErrTooLarge) {
		t.Errorf("gzip bomb: err = %v, want ErrTooLarge", err)
	}
	checkNothingWritten(t, sandbox)

	// A ModelPack artifact whose layers are larger than the limit is
	// refused before anything is fetched.
	art, err := modelpack.Build(irisDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := modelpack.PullImage(context.Background(), art, filepath.Join(sandbox, "m"), modelpack.WithMaxSize(100)); !errors.Is(err, modelpack.ErrTooLarge) {
		t.Errorf("modelpack: err = %v, want ErrTooLarge", err)
	}
	checkNothingWritten(t, sandbox)
}

// sparseTar is a tar whose one entry, opt/ml/model/huge, is a PAX GNU
// sparse 1.0 file of 1 TiB, almost all holes, in 2 KiB: archive/tar reads
// it back as 1 TiB of zeros. tar.Writer refuses to write the PAX header,
// so it is written as a regular file and its type byte patched.
func sparseTar(t *testing.T) []byte {
	t.Helper()
	rec := func(k, v string) string {
		s := " " + k + "=" + v + "\n"
		n := len(s)
		for l := len(strconv.Itoa(n)) + len(s); l != n; l = len(strconv.Itoa(n)) + len(s) {
			n = l
		}
		return strconv.Itoa(n) + s
	}
	recs := rec("GNU.sparse.major", "1") + rec("GNU.sparse.minor", "0") +
		rec("GNU.sparse.name", "opt/ml/model/huge") + rec("GNU.sparse.realsize", "1099511627776")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "pax", Typeflag: tar.TypeReg, Size: int64(len(recs)), Format: tar.FormatUSTAR}); err != nil {
		t.Fatal(err)
	}
	io.WriteString(tw, recs)
	tw.Flush()
	h := buf.Bytes()[:512]
	h[156] = tar.TypeXHeader
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	sparseMap := make([]byte, 512)
	copy(sparseMap, "1\n1099511627775\n1\n") // one 1-byte data block at the very end
	if err := tw.WriteHeader(&tar.Header{Name: "GNUSparseFile.0/huge", Typeflag: tar.TypeReg, Mode: 0o644, Size: 513, Format: tar.FormatUSTAR}); err != nil {
		t.Fatal(err)
	}
	tw.Write(sparseMap)
	io.WriteString(tw, "x")
	tw.Close()
	return buf.Bytes()
}

func TestPullRefusesSparse(t *testing.T) {
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer(sparseTar(t), types.OCIUncompressedLayer))
	if err != nil {
		t.Fatal(err)
	}
	sandbox := t.TempDir()
	_, err = modelpack.PullImage(context.Background(), img, filepath.Join(sandbox, "m"))
	if !errors.Is(err, modelpack.ErrUnsafePath) || !strings.Contains(err.Error(), "sparse") {
		t.Fatalf("err = %v, want a refused sparse file", err)
	}
	t.Log(err)
	checkNothingWritten(t, sandbox)
}
