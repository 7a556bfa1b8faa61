package pack

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"slices"
	"testing"
)

// busybox finds Debian's busybox-static, failing under BERTH_REQUIRE_TOOLS=1
// when it is missing and skipping otherwise.
func busybox(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(DefaultShell); err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			t.Fatalf("BERTH_REQUIRE_TOOLS=1 and %s not found (apt-get install busybox-static; make tools)", DefaultShell)
		}
		t.Skipf("skipping: %s not found (apt-get install busybox-static)", DefaultShell)
	}
	return DefaultShell
}

func TestModelcarContents(t *testing.T) {
	sh := busybox(t)
	img, err := BuildModelcar(context.Background(), irisDir, WithShell(sh), WithModelName("iris"), WithModelVersion("3"))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]tarEntry{}
	for _, l := range layers {
		_, m := layerEntries(t, l)
		for k, v := range m {
			all[k] = v
		}
	}
	if e, ok := all["bin/busybox"]; !ok || e.typ != tar.TypeReg || e.mode != 0o755 || e.uid != 0 {
		t.Errorf("bin/busybox: %+v, want a root-owned executable", e)
	}
	for _, a := range ModelcarApplets {
		if e := all["bin/"+a]; e.typ != tar.TypeSymlink || e.link != "busybox" {
			t.Errorf("bin/%s: %+v, want a link to busybox", a, e)
		}
	}
	for _, f := range []string{"models/MLmodel", "models/model.onnx"} {
		if e, ok := all[f]; !ok || e.typ != tar.TypeReg || e.mode != 0o644 {
			t.Errorf("%s: %+v, want a readable file", f, e)
		}
	}
	for name := range all {
		if name == "usr/local/bin/berth" || name == "usr/lib/berth/libonnxruntime.so.1" || name == "opt/ml/model/MLmodel" {
			t.Errorf("a modelcar holds %s; it must hold the model and a shell only", name)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || !slices.Equal(c.Cmd, []string{"sh"}) || c.Entrypoint != nil || c.WorkingDir != ModelcarPath {
		t.Errorf("config user %q cmd %v entrypoint %v workdir %q", c.User, c.Cmd, c.Entrypoint, c.WorkingDir)
	}
	if c.Labels[LabelModelcar] != "true" || c.Labels[LabelModelName] != "iris" || c.Labels[LabelModelVersion] != "3" {
		t.Errorf("labels %v", c.Labels)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Annotations[LabelModelcar] != "true" {
		t.Errorf("manifest annotations %v", m.Annotations)
	}
}

func TestModelcarIsReproducible(t *testing.T) {
	sh := busybox(t)
	a, err := BuildModelcar(context.Background(), irisDir, WithShell(sh))
	if err != nil {
		t.Fatal(err)
	}
	b, err := BuildModelcar(context.Background(), irisDir, WithShell(sh))
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, a) != digest(t, b) {
		t.Errorf("two modelcar builds of the same inputs: %s and %s", digest(t, a), digest(t, b))
	}
}

func TestModelcarErrors(t *testing.T) {
	if _, err := BuildModelcar(context.Background(), irisDir, WithShell("/bin/ls")); !errors.Is(err, ErrShellNotStatic) {
		t.Errorf("a dynamic shell: %v, want ErrShellNotStatic", err)
	}
	if _, err := BuildModelcar(context.Background(), irisDir, WithShell(t.TempDir()+"/none")); err == nil {
		t.Error("a missing shell packed")
	}
	if _, err := BuildModelcar(context.Background(), irisDir, WithBase("oci:/tmp/x")); err == nil {
		t.Error("a base image accepted")
	}
	if _, err := BuildModelcar(context.Background(), t.TempDir()); err == nil {
		t.Error("a directory with no MLmodel packed")
	}
}
