package onnx_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
)

func TestInit(t *testing.T) {
	path := ortestInit(t)
	if !onnx.Initialized() {
		t.Fatal("not initialized")
	}
	if err := onnx.Init(path); err != nil {
		t.Errorf("Init again with the same path: %v", err)
	}
	other := filepath.Join(t.TempDir(), "libonnxruntime.so")
	if err := onnx.Init(other); err == nil || !strings.Contains(err.Error(), "already initialized") {
		t.Errorf("Init with another path: %v", err)
	}
	if got := onnx.RuntimeVersion(); got != onnx.LibraryVersion {
		t.Logf("runtime %s, berth pins %s", got, onnx.LibraryVersion)
		if got == "" {
			t.Error("no runtime version")
		}
	}
}

func TestDefaultLibraryPath(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/cache")
	got, err := onnx.DefaultLibraryPath()
	if err != nil {
		t.Fatal(err)
	}
	if want := "/cache/berth/onnxruntime-" + onnx.LibraryVersion + "/libonnxruntime.so.1"; got != want {
		t.Errorf("DefaultLibraryPath() = %s, want %s", got, want)
	}
}

// TestUninitialized runs in a child process, where the runtime has not
// been loaded: Load refuses, and Init of a missing library says how to get
// one.
func TestUninitialized(t *testing.T) {
	if os.Getenv("BERTH_ONNX_TEST_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUninitialized$", "-test.v")
		cmd.Env = append(os.Environ(), "BERTH_ONNX_TEST_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "--- PASS: TestUninitialized") {
			t.Fatalf("child did not pass:\n%s", out)
		}
		return
	}
	if onnx.Initialized() || onnx.RuntimeVersion() != "" {
		t.Fatal("initialized in a fresh process")
	}
	_, err := onnx.Load(context.Background(), testModel("testdata", "scalar.onnx", nil), flavors.LoadOptions{})
	if !errors.Is(err, onnx.ErrNotInitialized) {
		t.Errorf("Load before Init: %v", err)
	}
	for _, path := range []string{filepath.Join(t.TempDir(), "missing.so"), "testdata/README.md", ""} {
		err := onnx.Init(path)
		if !errors.Is(err, onnx.ErrLibraryUnavailable) || !strings.Contains(err.Error(), "run `make ort` or set --ort-lib / BERTH_ORT_LIB") {
			t.Errorf("Init(%q) = %v", path, err)
		}
		t.Logf("Init(%q): %v", path, err)
	}
	if onnx.Initialized() {
		t.Error("initialized after failures")
	}
}
