// Package podmantest runs OCI images in tests under a rootful podman with
// runc, set up as ../shared/ENVIRONMENT.md says: a containers.conf naming
// runc, cgroupfs, the file events logger and ulimits within the hard
// limits, and image storage (vfs) in the test's temporary directory, so
// that no test touches the host's podman state.
//
// A test that uses it runs only with BERTH_PODMAN=1 (make test sets it);
// with BERTH_PODMAN=1 a missing podman is a failure, not a skip.
package podmantest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Podman is a podman whose configuration and storage belong to one test.
type Podman struct {
	t   testing.TB
	bin string
	dir string
	// Env is the environment podman runs with (the process's own plus
	// Config), for a program under test that runs podman itself.
	Env []string
	// Config is CONTAINERS_CONF=… and CONTAINERS_STORAGE_CONF=…, for a
	// test that builds a program's environment itself.
	Config []string
}

// New skips t unless BERTH_PODMAN=1 and fails it when podman is not
// installed; the containers it starts are removed when t ends.
func New(t testing.TB) *Podman {
	t.Helper()
	if os.Getenv("BERTH_PODMAN") != "1" {
		t.Skip("set BERTH_PODMAN=1 to run the image with podman")
	}
	bin, err := exec.LookPath("podman")
	if err != nil {
		t.Fatal("podman not installed (apt-get install podman runc; make tools)")
	}
	dir := t.TempDir()
	// Runs after every container's removal (Start's cleanups) and before
	// the temporary directory's: a container's conmon and the "podman
	// container cleanup" it starts can still write under the storage for
	// a moment after "podman rm" returns, and the directory's removal then
	// fails ("directory not empty").
	t.Cleanup(func() { waitForProcessesUsing(t, dir, 10*time.Second) })
	conf, storage := filepath.Join(dir, "containers.conf"), filepath.Join(dir, "storage.conf")
	write := func(path, s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(conf, "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"+
		"[engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n")
	write(storage, fmt.Sprintf("[storage]\ndriver = \"vfs\"\ngraphroot = %q\nrunroot = %q\n",
		filepath.Join(dir, "graph"), filepath.Join(dir, "run")))
	config := []string{"CONTAINERS_CONF=" + conf, "CONTAINERS_STORAGE_CONF=" + storage}
	return &Podman{t: t, bin: bin, dir: dir, Env: append(os.Environ(), config...), Config: config}
}

// Run runs podman with args and returns its trimmed output, failing the
// test (with the output) when podman fails.
func (p *Podman) Run(args ...string) string {
	p.t.Helper()
	cmd := exec.Command(p.bin, args...)
	cmd.Env = p.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Start runs a container detached (podman run -d args...) and returns its
// id; when the test ends the container is removed, its logs written to the
// test's log first if the test failed.
func (p *Podman) Start(args ...string) string {
	p.t.Helper()
	id := p.Run(append([]string{"run", "-d"}, args...)...)
	p.t.Cleanup(func() {
		if p.t.Failed() {
			cmd := exec.Command(p.bin, "logs", id)
			cmd.Env = p.Env
			out, _ := cmd.CombinedOutput()
			p.t.Logf("container %s logs:\n%s", id[:min(12, len(id))], out)
		}
		cmd := exec.Command(p.bin, "rm", "-f", "-t", "0", id)
		cmd.Env = p.Env
		cmd.Run()
	})
	return id
}

// PullLayout pulls the one image of an OCI layout directory (the tag its
// index names) and returns the image's id.
func (p *Podman) PullLayout(dir string) string {
	p.t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		p.t.Fatal(err)
	}
	var idx struct {
		Manifests []struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(b, &idx); err != nil || len(idx.Manifests) != 1 {
		p.t.Fatalf("%s: not a layout of one image (%v)", dir, err)
	}
	tag := idx.Manifests[0].Annotations["org.opencontainers.image.ref.name"]
	if tag == "" {
		p.t.Fatalf("%s: the image has no tag", dir)
	}
	// podman names an oci: image after its path, which must be a valid
	// reference: a test's temporary directory (named after the test, in
	// capitals) is not.
	tmp, err := os.MkdirTemp("", "podmantest")
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { os.RemoveAll(tmp) })
	link := filepath.Join(tmp, "image")
	if err := os.Symlink(dir, link); err != nil {
		p.t.Fatal(err)
	}
	out := strings.Fields(p.Run("pull", "-q", "oci:"+link+":"+tag))
	if len(out) == 0 {
		p.t.Fatalf("podman pull of %s printed no image id", dir)
	}
	return out[len(out)-1]
}

// waitForProcessesUsing waits until no process has dir in its command
// line (conmon and podman's own cleanup name the storage there), for at
// most limit; past it, it logs the processes left.
func waitForProcessesUsing(t testing.TB, dir string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		left := processesUsing(dir)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Logf("podmantest: after %v these processes still name %s: %s", limit, dir, strings.Join(left, "; "))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processesUsing returns the command lines that mention dir.
func processesUsing(dir string) []string {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var out []string
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // gone meanwhile
		}
		if cmd := strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " "); strings.Contains(cmd, dir) {
			out = append(out, cmd)
		}
	}
	return out
}
