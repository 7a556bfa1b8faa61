package main

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/internal/podmantest"
	"github.com/berthml/berth/pack"
)

// TestPromptPackPodman runs the image berth pack makes of
// prompts:/qa@production: under podman (rootful, runc, as
// ../shared/ENVIRONMENT.md says) on the host network, with the image's own
// start command (only the port appended and MLFLOW_DEPLOYMENTS_TARGET set
// to the test's berth gateway, llama.cpp behind it), as the chart runs it:
// its non-root user, a read-only root filesystem with tmpfs at the chart's
// emptyDir mounts, no capabilities, no privilege escalation. It waits for
// /v2/health/ready and checks that /invocations answers the template's
// questions as berth serve prompts:/qa@production does and as the gateway
// does for that version's template. It runs with BERTH_PODMAN=1 (make
// test sets it).
func TestPromptPackPodman(t *testing.T) {
	pm := podmantest.New(t)
	e := setupPromptE2E(t)
	// Version 2, so that what the image answers is not what a fall back
	// to version 1 (the first registered) would.
	e.setAlias(t, "2")
	questions := []string{"tea", "the moon", "rivers", "seven", "bread"}
	var want []string
	for _, q := range questions {
		want = append(want, askGateway(t, e.gw, e2eTemplates[1], e2eMaxTokens[1], q))
	}
	var v1 []string
	for _, q := range questions {
		v1 = append(v1, askGateway(t, e.gw, e2eTemplates[0], e2eMaxTokens[0], q))
	}
	if strings.Join(want, "\x00") == strings.Join(v1, "\x00") {
		t.Fatalf("versions 1 and 2 answer alike (%q): the test cannot tell them apart", want)
	}

	serving := startBerth(t, e.bin, append([]string{"serve", "prompts:/qa@production", "--port", "0"}, e.reg...)...)
	served := invoke(t, serving, questions)
	if strings.Join(served, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("berth serve prompts:/qa@production (v2) answered %q, want the gateway's %q", served, want)
	}

	images := filepath.Join(e.data, "images")
	runBerth(t, e.bin, append([]string{"pack", "prompts:/qa@production", "--oci-layout", images, "--name", "qa:2",
		"--binary", e.bin, "--ort-lib", ortest.Init(t)}, e.reg...)...)
	image := pm.PullLayout(images)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	// The chart's serve Deployment: runAsUser 65532, readOnlyRootFilesystem,
	// capabilities dropped, emptyDirs at /tmp and /var/cache/berth.
	id := pm.Start("--network=host", "--read-only", "--read-only-tmpfs=false",
		"--cap-drop=ALL", "--security-opt=no-new-privileges",
		"--tmpfs=/tmp:rw,mode=1777", "--tmpfs=/var/cache/berth:rw,mode=1777",
		"--env", "MLFLOW_DEPLOYMENTS_TARGET="+e.gw,
		image, "--port", port)
	url := "http://127.0.0.1:" + port
	ready := false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if r, err := http.Get(url + "/v2/health/ready"); err == nil {
			r.Body.Close()
			if ready = r.StatusCode == http.StatusOK; ready {
				break
			}
		}
	}
	if !ready {
		t.Fatal("the container's berth never reported ready on /v2/health/ready")
	}
	got := invoke(t, url, questions)
	t.Logf("the packed image answers %q", got)
	if strings.Join(got, "\x00") != strings.Join(served, "\x00") {
		t.Fatalf("the packed image answered %q, berth serve prompts:/qa@production %q", got, served)
	}

	// Non-root, on a read-only root: the user is the image's (pack.UID,
	// named berth in its /etc/passwd) and the root filesystem read-only.
	if user := pm.Run("top", id, "user"); !strings.Contains(user, "berth") {
		t.Errorf("the server runs as %q, want berth", user)
	}
	inspect := pm.Run("inspect", "--format", "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}", id)
	if want := fmt.Sprintf("%d:%d true", pack.UID, pack.UID); inspect != want {
		t.Errorf("podman inspect: user and read-only root %q, want %q", inspect, want)
	}
}
