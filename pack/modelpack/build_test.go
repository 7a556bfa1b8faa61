package modelpack_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/pack/modelpack"
)

const (
	irisDir     = "../../testdata/models/iris_logreg"
	externalDir = "../../testdata/conformance/models/c_mlp_external_data"
)

// layersByPath maps each layer's filepath annotation to its descriptor.
func layersByPath(t *testing.T, img v1.Image) (*v1.Manifest, map[string]v1.Descriptor) {
	t.Helper()
	mf, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]v1.Descriptor{}
	for _, l := range mf.Layers {
		p := l.Annotations[modelpack.AnnotationFilepath]
		if _, dup := byPath[p]; dup {
			t.Fatalf("two layers for %q", p)
		}
		byPath[p] = l
	}
	return mf, byPath
}

func readConfig(t *testing.T, img v1.Image) modelpack.Model {
	t.Helper()
	raw, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var cfg modelpack.Model
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	// The spec's field names, checked on the JSON itself.
	var generic map[string]map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"descriptor", "config", "modelfs"} {
		if generic[k] == nil {
			t.Errorf("config JSON has no %q: %s", k, raw)
		}
	}
	if _, ok := generic["modelfs"]["diffIds"]; !ok {
		t.Errorf("modelfs has no diffIds: %s", raw)
	}
	return cfg
}

func TestBuildIris(t *testing.T) {
	var last modelpack.Progress
	img, err := modelpack.Build(irisDir, modelpack.WithVersion("3"), modelpack.WithProgress(func(p modelpack.Progress) { last = p }))
	if err != nil {
		t.Fatal(err)
	}
	if last.Total == 0 || last.Complete != last.Total {
		t.Errorf("last progress %+v", last)
	}
	mf, byPath := layersByPath(t, img)
	if mf.ArtifactType != "application/vnd.cncf.model.manifest.v1+json" {
		t.Errorf("artifactType = %q", mf.ArtifactType)
	}
	if mf.MediaType != types.OCIManifestSchema1 {
		t.Errorf("mediaType = %q", mf.MediaType)
	}
	if mf.Config.MediaType != "application/vnd.cncf.model.config.v1+json" {
		t.Errorf("config mediaType = %q", mf.Config.MediaType)
	}
	want := map[string]types.MediaType{
		"MLmodel":                    "application/vnd.cncf.model.weight.config.v1.raw",
		"model.onnx":                 "application/vnd.cncf.model.weight.v1.raw",
		"conda.yaml":                 "application/vnd.cncf.model.code.v1.raw",
		"python_env.yaml":            "application/vnd.cncf.model.code.v1.raw",
		"requirements.txt":           "application/vnd.cncf.model.code.v1.raw",
		"input_example.json":         "application/vnd.cncf.model.doc.v1.raw",
		"serving_input_example.json": "application/vnd.cncf.model.doc.v1.raw",
		"expected.json":              "application/vnd.cncf.model.weight.config.v1.raw",
	}
	if len(byPath) != len(want) {
		t.Errorf("%d layers, want %d: %v", len(byPath), len(want), byPath)
	}
	for p, mt := range want {
		l, ok := byPath[p]
		if !ok {
			t.Errorf("no layer for %s", p)
			continue
		}
		if l.MediaType != mt {
			t.Errorf("%s: media type %q, want %q", p, l.MediaType, mt)
		}
		b, err := os.ReadFile(filepath.Join(irisDir, p))
		if err != nil {
			t.Fatal(err)
		}
		h, n, _ := v1.SHA256(bytes.NewReader(b))
		if l.Digest != h || l.Size != n {
			t.Errorf("%s: layer %s/%d, file %s/%d", p, l.Digest, l.Size, h, n)
		}
	}

	cfg := readConfig(t, img)
	if cfg.ModelFS.Type != "layers" || len(cfg.ModelFS.DiffIDs) != len(mf.Layers) {
		t.Errorf("modelfs = %+v", cfg.ModelFS)
	}
	for i, l := range mf.Layers {
		if i < len(cfg.ModelFS.DiffIDs) && cfg.ModelFS.DiffIDs[i] != l.Digest.String() {
			t.Errorf("diffIds[%d] = %s, layer digest %s", i, cfg.ModelFS.DiffIDs[i], l.Digest)
		}
	}
	if cfg.Config.Format != "onnx" {
		t.Errorf("format = %q", cfg.Config.Format)
	}
	if cfg.Descriptor.Name != "iris_logreg" || cfg.Descriptor.Version != "3" {
		t.Errorf("descriptor = %+v", cfg.Descriptor)
	}
	m, err := flavors.Open(irisDir)
	if err != nil {
		t.Fatal(err)
	}
	wantCreated, err := time.ParseInLocation("2006-01-02 15:04:05.999999", m.MLmodel.UTCTimeCreated, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Descriptor.CreatedAt == nil || !cfg.Descriptor.CreatedAt.Equal(wantCreated) {
		t.Errorf("createdAt = %v, want %v", cfg.Descriptor.CreatedAt, wantCreated)
	}

	var meta modelpack.FileMetadata
	if err := json.Unmarshal([]byte(byPath["MLmodel"].Annotations[modelpack.AnnotationFileMetadata]), &meta); err != nil {
		t.Fatalf("file metadata of MLmodel: %v", err)
	}
	if meta.Name != "MLmodel" || meta.Mode != 0o644 || meta.Size != byPath["MLmodel"].Size ||
		!meta.ModTime.Equal(wantCreated) || meta.Typeflag != '0' || meta.UID != 0 {
		t.Errorf("file metadata of MLmodel = %+v", meta)
	}
}

func TestBuildReproducible(t *testing.T) {
	digest := func(dir string, opts ...modelpack.Option) v1.Hash {
		t.Helper()
		img, err := modelpack.Build(dir, opts...)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := digest(irisDir)
	if again := digest(irisDir); again != first {
		t.Errorf("second build %s, first %s", again, first)
	}
	// A copy with other modification times gives the same artifact.
	cp := filepath.Join(t.TempDir(), "iris_logreg")
	if err := os.CopyFS(cp, os.DirFS(irisDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(cp, "model.onnx"), time.Unix(1, 0), time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	if c := digest(cp); c != first {
		t.Errorf("copy %s, original %s", c, first)
	}

	epoch, err := modelpack.ParseSourceDateEpoch("1700000000")
	if err != nil {
		t.Fatal(err)
	}
	a := digest(irisDir, modelpack.WithCreated(epoch))
	if b := digest(irisDir, modelpack.WithCreated(epoch)); a != b || a == first {
		t.Errorf("SOURCE_DATE_EPOCH builds %s, %s; default %s", a, b, first)
	}
	img, err := modelpack.Build(irisDir, modelpack.WithCreated(epoch))
	if err != nil {
		t.Fatal(err)
	}
	if got := readConfig(t, img).Descriptor.CreatedAt; got == nil || !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("createdAt = %v", got)
	}
}

func TestBuildExternalData(t *testing.T) {
	if _, err := os.Stat(externalDir); err != nil {
		t.Fatalf("the conformance models are committed under testdata/conformance/models (git checkout -- testdata/conformance): %v", err)
	}
	img, err := modelpack.Build(externalDir)
	if err != nil {
		t.Fatal(err)
	}
	_, byPath := layersByPath(t, img)
	for _, p := range []string{"model.onnx", "1f35ade6-eae3-11f1-87a9-02fc00000001"} {
		if l := byPath[p]; l.MediaType != modelpack.MediaTypeWeightRaw {
			t.Errorf("%s: media type %q, want a weight", p, l.MediaType)
		}
	}
	if l := byPath["MLmodel"]; l.MediaType != modelpack.MediaTypeWeightConfigRaw {
		t.Errorf("MLmodel: media type %q", l.MediaType)
	}
}

func TestBuildWeightThreshold(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(irisDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vocab.json"), make([]byte, 2000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		threshold int64
		want      types.MediaType
	}{
		{1 << 20, modelpack.MediaTypeWeightConfigRaw},
		{1000, modelpack.MediaTypeWeightRaw},
	} {
		img, err := modelpack.Build(dir, modelpack.WithWeightThreshold(tc.threshold))
		if err != nil {
			t.Fatal(err)
		}
		if _, byPath := layersByPath(t, img); byPath["vocab.json"].MediaType != tc.want {
			t.Errorf("threshold %d: vocab.json is %q, want %q", tc.threshold, byPath["vocab.json"].MediaType, tc.want)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(dir string) error
	}{
		{"no MLmodel", func(dir string) error { return os.Remove(filepath.Join(dir, "MLmodel")) }},
		{"symlink", func(dir string) error { return os.Symlink("/etc/passwd", filepath.Join(dir, "passwd")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(irisDir)); err != nil {
				t.Fatal(err)
			}
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			if _, err := modelpack.Build(dir); err == nil {
				t.Fatal("Build succeeded")
			} else {
				t.Log(err)
			}
		})
	}
}
