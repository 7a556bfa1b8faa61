package pack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/berthml/berth/internal/iristest"
	"github.com/berthml/berth/internal/podmantest"
	"github.com/berthml/berth/internal/testregistry"
)

// TestEndToEndDockerRegistry packs the real berth binary and ONNX Runtime
// library with the host's libraries, pushes the image to Debian's
// docker-registry (distribution) and reads it back. It runs with
// BERTH_REQUIRE_TOOLS=1, and then fails when a tool is missing.
func TestEndToEndDockerRegistry(t *testing.T) {
	if os.Getenv("BERTH_REQUIRE_TOOLS") != "1" {
		t.Skip("set BERTH_REQUIRE_TOOLS=1 to push the real image to docker-registry")
	}
	bin, ort := realRuntime(t)
	addr := testregistry.Start(t)

	ctx := context.Background()
	start := time.Now()
	img, err := Build(ctx, irisDir, WithBinary(bin), WithORTLibrary(ort), WithModelName("iris"), WithModelVersion("1"))
	if err != nil {
		t.Fatal(err)
	}
	lay := filepath.Join(t.TempDir(), "layout")
	if err := WriteLayout(lay, img, "1"); err != nil {
		t.Fatal(err)
	}
	t.Logf("pack to layout: %v", time.Since(start).Round(time.Millisecond))
	s, err := Describe(img)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("image %s: %d bytes compressed, %d uncompressed", s.Digest, s.Size, s.Uncompressed)
	if s.Uncompressed >= 100e6 {
		t.Errorf("the iris image is %d bytes uncompressed, want under 100 MB", s.Uncompressed)
	}

	ref := addr + "/berth/iris:1"
	start = time.Now()
	d, err := Push(ctx, img, ref, WithInsecure(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("push: %v", time.Since(start).Round(time.Millisecond))
	r := mustRef(t, ref)
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest != d {
		t.Fatalf("registry has %s, pushed %s", desc.Digest, d)
	}
	got, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(digests(t, got), digests(t, img)) {
		t.Errorf("registry layers %v, pushed %v", digests(t, got), digests(t, img))
	}
	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.Labels[LabelModelName] != "iris" || cf.Config.Labels[LabelModelVersion] != "1" {
		t.Errorf("labels %v", cf.Config.Labels)
	}
	checkSkopeo(t, ref, d)
	// Pushing again uploads nothing new and keeps the digest.
	if d2, err := Push(ctx, img, ref, WithInsecure(true)); err != nil || d2 != d {
		t.Errorf("second push: %s, %v", d2, err)
	}
}

// realRuntime builds berth as images get it (stripped, servingonly: make
// build's bin/berth-serving) and finds the ONNX
// Runtime library that make ort fetches.
func realRuntime(t *testing.T) (bin, ort string) {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	ort = filepath.Join(cache, "berth", "onnxruntime-1.30.0", "libonnxruntime.so.1")
	if _, err := os.Stat(ort); err != nil {
		t.Fatalf("no ONNX Runtime library (make ort): %v", err)
	}
	bin = filepath.Join(t.TempDir(), "berth")
	if out, err := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags", "servingonly,nomsgpack", "-o", bin, "../cmd/berth").CombinedOutput(); err != nil {
		t.Fatalf("building berth: %v\n%s", err, out)
	}
	return bin, ort
}

// TestPodmanRun packs the real image, loads the tarball into a rootful
// podman with runc (set up as in ENVIRONMENT.md, storage in a temporary
// directory), runs it on the host network bound to 127.0.0.1 and scores
// iris rows against sklearn's answer (internal/iristest). It runs with
// BERTH_PODMAN=1 (apt-get install podman runc).
func TestPodmanRun(t *testing.T) {
	p := podmantest.New(t)
	bin, ort := realRuntime(t)
	img, err := Build(context.Background(), irisDir, WithBinary(bin), WithORTLibrary(ort), WithModelName("iris"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tarFile := filepath.Join(dir, "iris.tar")
	if err := WriteTarball(tarFile, img, "berth/iris:test"); err != nil {
		t.Fatal(err)
	}
	p.Run("load", "-i", tarFile)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	id := p.Start("--network=host", "localhost/berth/iris:test", "--host", "127.0.0.1", "--port", port)
	// berth listens before its model is loaded (liveness answers at once,
	// scoring 503 until then): wait for readiness, as an orchestrator does.
	ready := false
	for range 100 {
		if r, err := http.Get("http://127.0.0.1:" + port + "/v2/health/ready"); err == nil {
			r.Body.Close()
			if ready = r.StatusCode == http.StatusOK; ready {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !ready {
		t.Fatal("the container's berth never reported ready")
	}
	iristest.CheckInvocations(t, "http://127.0.0.1:"+port)
	if user := p.Run("top", id, "user"); !strings.Contains(user, "berth") {
		t.Errorf("the server runs as %q, want berth", user)
	}
}

// checkSkopeo reads the pushed image back with skopeo, a client that shares
// no code with go-containerregistry, and checks its digest, labels and
// platform. Without skopeo it skips the check, unless BERTH_REQUIRE_TOOLS=1
// (apt-get install skopeo).
func checkSkopeo(t *testing.T, ref string, want v1.Hash) {
	t.Helper()
	skopeo, err := exec.LookPath("skopeo")
	if err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			t.Error("skopeo not installed (apt-get install skopeo)")
		} else {
			t.Log("skopeo not installed: not reading the image back with it")
		}
		return
	}
	out, err := exec.Command(skopeo, "inspect", "--tls-verify=false", "docker://"+ref).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("skopeo inspect %s: %v\n%s", ref, err, ee.Stderr)
		}
		t.Fatalf("skopeo inspect %s: %v", ref, err)
	}
	var got struct {
		Digest       string
		Labels       map[string]string
		Architecture string
		Os           string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("skopeo inspect %s: %v\n%s", ref, err, out)
	}
	t.Logf("skopeo inspect: %s %s/%s, %d labels", got.Digest, got.Os, got.Architecture, len(got.Labels))
	if got.Digest != want.String() {
		t.Errorf("skopeo sees digest %s, pushed %s", got.Digest, want)
	}
	for k, v := range map[string]string{"org.opencontainers.image.title": "iris", LabelModelName: "iris"} {
		if got.Labels[k] != v {
			t.Errorf("skopeo sees label %s=%q, want %q (labels %v)", k, got.Labels[k], v, got.Labels)
		}
	}
	if got.Architecture != "amd64" || got.Os != "linux" {
		t.Errorf("skopeo sees platform %s/%s, want linux/amd64", got.Os, got.Architecture)
	}
}
