package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runPackCmd runs `berth pack ARGS` in process with small stand-ins for the
// berth binary and the ONNX Runtime library.
func runPackCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	bin, ort := filepath.Join(dir, "berth"), filepath.Join(dir, "libonnxruntime.so.1")
	os.WriteFile(bin, []byte("fake berth\n"), 0o755)
	os.WriteFile(ort, []byte("fake onnxruntime\n"), 0o644)
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"pack", "--binary", bin, "--ort-lib", ort}, args...))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestPackCommand(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	dir := t.TempDir()
	lay, tarFile := filepath.Join(dir, "layout"), filepath.Join(dir, "iris.tar")
	out, err := runPackCmd(t, "../../testdata/models/iris_logreg", "--oci-layout", lay, "--tarball", tarFile, "--name", "iris:1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	digest := regexp.MustCompile(`digest (sha256:[0-9a-f]{64})`).FindStringSubmatch(out)
	if digest == nil || !strings.Contains(out, "oci:"+lay+":1") || !strings.Contains(out, "model files under /opt/ml/model") {
		t.Fatalf("output:\n%s", out)
	}
	for _, p := range []string{filepath.Join(lay, "index.json"), tarFile} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	index, _ := os.ReadFile(filepath.Join(lay, "index.json"))
	if !strings.Contains(string(index), digest[1]) {
		t.Errorf("index.json lacks %s:\n%s", digest[1], index)
	}
	// Again, from another temporary copy of the fakes: same digest.
	out2, err := runPackCmd(t, "../../testdata/models/iris_logreg", "--oci-layout", lay, "--name", "iris:1")
	if err != nil || !strings.Contains(out2, digest[0]) {
		t.Errorf("second pack: %v\n%s", err, out2)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	out3, err := runPackCmd(t, "../../testdata/models/iris_logreg", "--oci-layout", lay, "--name", "iris:2")
	if err != nil || strings.Contains(out3, digest[0]) {
		t.Errorf("SOURCE_DATE_EPOCH did not change the digest: %v\n%s", err, out3)
	}
}

func TestPackCommandErrors(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	lay := filepath.Join(t.TempDir(), "layout")
	model := "../../testdata/models/iris_logreg"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no output", []string{model}, "--tag, --oci-layout or --tarball"},
		{"bad platform", []string{model, "--oci-layout", lay, "--platform", "a/b/c/d"}, "--platform"},
		{"bad epoch", []string{model, "--oci-layout", lay, "--source-date-epoch", "yesterday"}, "SOURCE_DATE_EPOCH"},
		{"unknown model", []string{"no/such/model", "--oci-layout", lay}, "opening model no/such/model"},
		{"bad tag", []string{model, "--tag", "Not A Ref"}, "parsing image reference"},
		{"models URI without registry", []string{"models:/iris/1", "--oci-layout", lay}, "--registry-uri"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BERTH_REGISTRY_URI", "")
			t.Setenv("MLFLOW_TRACKING_URI", "")
			out, err := runPackCmd(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q\n%s", err, tt.want, out)
			}
		})
	}
}
