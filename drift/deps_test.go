package drift_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps drift a domain package: it reaches models through
// flavors only, never the HTTP layer, the CLI or ONNX Runtime.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test=false", "github.com/berthml/berth/drift").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, bad := range []string{"github.com/gin-gonic/gin", "github.com/yalue/onnxruntime_go", "github.com/berthml/berth/serve", "github.com/berthml/berth/cmd/", "github.com/berthml/berth/flavors/onnx"} {
			if strings.HasPrefix(p, bad) {
				t.Errorf("drift depends on %s", p)
			}
		}
	}
}
