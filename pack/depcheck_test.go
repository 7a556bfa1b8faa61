package pack

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the HTTP framework and ONNX Runtime out of pack.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/gin-gonic/gin", "github.com/yalue/onnxruntime_go", "github.com/berthml/berth/cmd"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("pack depends on %s", dep)
			}
		}
	}
}
