package registry_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the dependency direction: the registry server
// depends on the domain and wire packages, never on commands, the scoring
// server or ONNX Runtime.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/berthml/berth/cmd", "github.com/berthml/berth/serve",
			"github.com/berthml/berth/flavors", "github.com/yalue/onnxruntime_go"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("package registry depends on %s", dep)
			}
		}
	}
}
