package modelpack_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/berthml/berth/pack/modelpack"
)

// FuzzPullImageTar pulls a container image whose one layer is arbitrary
// bytes: whatever the tar says, Pull must not panic and must write nothing
// outside the destination.
func FuzzPullImageTar(f *testing.F) {
	seed := func(names ...string) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, n := range names {
			tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
			tw.Write([]byte("x\n"))
		}
		tw.Close()
		return buf.Bytes()
	}
	f.Add(seed("opt/ml/model/MLmodel", "opt/ml/model/a/b"))
	f.Add(seed("../../evil", "opt/ml/model/x"))
	f.Add(seed("opt/ml/model/.wh.x", "opt/ml/model/x", "opt/ml/model/x"))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, layer []byte) {
		img, err := mutate.AppendLayers(empty.Image, static.NewLayer(layer, types.OCIUncompressedLayer))
		if err != nil {
			t.Skip()
		}
		sandbox := t.TempDir()
		dest := filepath.Join(sandbox, "model")
		res, err := modelpack.PullImage(context.Background(), img, dest)
		entries, _ := os.ReadDir(sandbox)
		if err != nil && len(entries) != 0 {
			t.Fatalf("failed pull (%v) left %v", err, entries)
		}
		if err == nil {
			if len(entries) != 1 || entries[0].Name() != "model" {
				t.Fatalf("pull left %v", entries)
			}
			for _, f := range res.Files {
				if modelpack.ValidatePath(f.Path) != nil || strings.HasPrefix(f.Path, "..") {
					t.Fatalf("wrote %q", f.Path)
				}
			}
		}
	})
}

func TestPullModelPackTarLayers(t *testing.T) {
	mlmodel, err := os.ReadFile(filepath.Join(irisDir, "MLmodel"))
	if err != nil {
		t.Fatal(err)
	}
	onnx, err := os.ReadFile(filepath.Join(irisDir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	tarOf := func(name string, b []byte) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
		tw.Close()
		return buf.Bytes()
	}
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{
			Layer:       static.NewLayer(tarOf("MLmodel", mlmodel), "application/vnd.cncf.model.weight.config.v1.tar"),
			Annotations: map[string]string{modelpack.AnnotationFilepath: "MLmodel"},
		},
		mutate.Addendum{
			Layer:       static.NewLayer(tarOf("weights/model.onnx", onnx), "application/vnd.cncf.model.weight.v1.tar"),
			Annotations: map[string]string{modelpack.AnnotationFilepath: "weights/model.onnx"},
		})
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), modelpack.MediaTypeConfig)
	dest := filepath.Join(t.TempDir(), "model")
	res, err := modelpack.PullImage(context.Background(), img, dest)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res.Files); len(res.Files) != 2 {
		t.Errorf("files = %s", got)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "weights", "model.onnx")); err != nil || !bytes.Equal(b, onnx) {
		t.Errorf("weights/model.onnx: %v", err)
	}
}
