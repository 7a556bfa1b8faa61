package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

const (
	module = "github.com/berthml/berth"
	gin    = "github.com/gin-gonic/gin"
	ort    = "github.com/yalue/onnxruntime_go"
)

// deps lists the packages pkg depends on, transitively.
func deps(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-test=false", module+"/"+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	set := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		set[p] = true
	}
	delete(set, module+"/"+pkg)
	return set
}

func TestDependencyDirection(t *testing.T) {
	cases := []struct {
		pkg       string
		forbidden []string
	}{
		// Domain and wire packages never reach the HTTP layer, the CLI or the runtime binding.
		{"flavors", []string{gin, ort, module + "/serve", module + "/cmd/berth", module + "/api/scoring", module + "/api/oip"}},
		{"api/scoring", []string{gin, ort, module + "/serve", module + "/cmd/berth"}},
		{"api/oip", []string{gin, ort, module + "/serve", module + "/cmd/berth"}},
		// Only flavors/onnx imports ONNX Runtime; the server reaches models through flavors.
		{"serve", []string{ort, module + "/flavors/onnx", module + "/cmd/berth"}},
		{"flavors/onnx", []string{gin, module + "/serve", module + "/cmd/berth"}},
	}
	for _, c := range cases {
		t.Run(c.pkg, func(t *testing.T) {
			d := deps(t, c.pkg)
			for _, f := range c.forbidden {
				if d[f] {
					t.Errorf("%s depends on %s", c.pkg, f)
				}
			}
		})
	}
}
