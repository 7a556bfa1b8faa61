package sqlstore_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the storage layer free of HTTP and inference
// dependencies: only the HTTP layer imports gin, only flavors/onnx imports
// ONNX Runtime.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/berthml/berth/tracking/sqlstore").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/gin-gonic/", "github.com/yalue/onnxruntime_go", "github.com/berthml/berth/api/", "github.com/berthml/berth/cmd"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("tracking/sqlstore depends on %s", dep)
			}
		}
	}
}
