package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/pack"
)

func TestPackModelcar(t *testing.T) {
	if _, err := os.Stat(pack.DefaultShell); err != nil && os.Getenv("BERTH_REQUIRE_TOOLS") != "1" {
		t.Skipf("skipping: %s not found (apt-get install busybox-static)", pack.DefaultShell)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "")
	lay := filepath.Join(t.TempDir(), "layout")
	model := "../../testdata/models/iris_logreg"
	out, err := runPackCmd(t, model, "--modelcar", "--oci-layout", lay, "--name", "iris-modelcar:1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "model files under /models") || !strings.Contains(out, "busybox") || strings.Contains(out, "/opt/ml/model") {
		t.Errorf("output:\n%s", out)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"with --artifact", []string{model, "--modelcar", "--artifact", "--tag", "127.0.0.1:1/x:1"}, "choose one"},
		{"with --base", []string{model, "--modelcar", "--base", "oci:/tmp/none", "--oci-layout", lay}, "no --base"},
		{"dynamic shell", []string{model, "--modelcar", "--modelcar-shell", "/bin/ls", "--oci-layout", lay}, "not a static executable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runPackCmd(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q\n%s", err, tc.want, out)
			}
		})
	}
}
