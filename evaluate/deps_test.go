package evaluate_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps evaluate a domain package: numbers in, metrics and
// images out; never the HTTP layer, the CLI or ONNX Runtime.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test=false", "github.com/berthml/berth/evaluate").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	bad := []string{"github.com/gin-gonic/gin", "github.com/yalue/onnxruntime_go",
		"github.com/berthml/berth/serve", "github.com/berthml/berth/cmd/", "github.com/berthml/berth/flavors/onnx"}
	for _, p := range strings.Fields(string(out)) {
		for _, b := range bad {
			if strings.HasPrefix(p, b) {
				t.Errorf("evaluate depends on %s", p)
			}
		}
	}
}
