package onnx_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
)

// telemetryChildEnv makes this test binary, run again by
// TestNoTelemetryFiles, load ONNX Runtime and a model and exit (TestMain).
const telemetryChildEnv = "BERTH_TEST_ORT_TELEMETRY_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(telemetryChildEnv) == "1" {
		os.Exit(telemetryChild())
	}
	os.Exit(m.Run())
}

// telemetryChild loads the library named by BERTH_ORT_LIB and one model,
// as berth serve does at start-up.
func telemetryChild() int {
	if err := onnx.Init(os.Getenv("BERTH_ORT_LIB")); err != nil {
		os.Stderr.WriteString("Init: " + err.Error() + "\n")
		return 2
	}
	m, err := onnx.Load(context.Background(), testModel("testdata", "example_dynamic_axes.onnx", nil), flavors.LoadOptions{})
	if err != nil {
		os.Stderr.WriteString("Load: " + err.Error() + "\n")
		return 2
	}
	_ = m.Close()
	return 0
}

// TestNoTelemetryFiles: ONNX Runtime 1.30's Linux library, left to itself,
// writes a device id and an event database under
// $HOME/.cache/Microsoft/DeveloperTools and an empty /tmp/mat-debug-PID.log
// for every process that loads it (this test fails that way without
// onnx.Init's ORT_DISABLE_TELEMETRY). A process loading it through berth,
// with the variable unset, leaves neither.
func TestNoTelemetryFiles(t *testing.T) {
	lib := ortestInit(t)
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	var env []string
	for _, kv := range os.Environ() {
		switch {
		case hasKey(kv, "HOME"), hasKey(kv, "XDG_CACHE_HOME"), hasKey(kv, "ORT_DISABLE_TELEMETRY"), hasKey(kv, "BERTH_ORT_LIB"):
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, "HOME="+home, "BERTH_ORT_LIB="+lib, telemetryChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	matDebug := filepath.Join(os.TempDir(), "mat-debug-"+strconv.Itoa(cmd.Process.Pid)+".log")
	if _, err := os.Stat(matDebug); err == nil {
		os.Remove(matDebug)
		t.Errorf("ONNX Runtime left %s behind", matDebug)
	}
	if _, err := os.Stat(filepath.Join(home, ".cache", "Microsoft")); err == nil {
		t.Errorf("ONNX Runtime wrote under $HOME/.cache/Microsoft")
	}
}

func hasKey(kv, key string) bool {
	return len(kv) > len(key) && kv[:len(key)] == key && kv[len(key)] == '='
}
