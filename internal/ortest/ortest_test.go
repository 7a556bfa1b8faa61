package ortest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/berthml/berth/internal/ortest"
)

// TestMissingLibrary runs Init in child processes (the runtime loads once
// per process) with a library that does not exist: a skip by default, a
// failure under BERTH_REQUIRE_ORT=1.
func TestMissingLibrary(t *testing.T) {
	if os.Getenv("ORTEST_CHILD") == "1" {
		ortest.Init(t)
		t.Fatal("Init returned without a library")
	}
	for _, c := range []struct{ require, want string }{{"", "--- SKIP"}, {"1", "--- FAIL"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingLibrary$", "-test.v")
		cmd.Env = append(os.Environ(), "ORTEST_CHILD=1", "BERTH_ORT_LIB="+t.TempDir()+"/missing.so", "BERTH_REQUIRE_ORT="+c.require)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), c.want) || !strings.Contains(string(out), "make ort") {
			t.Errorf("BERTH_REQUIRE_ORT=%q: want %s with how to get the library, got:\n%s", c.require, c.want, out)
		}
	}
}
