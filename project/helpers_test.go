package project_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// needTool returns the tool's path; without it the test skips, or fails
// when BERTH_REQUIRE_TOOLS=1 (as make test runs).
func needTool(t *testing.T, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			t.Fatalf("BERTH_REQUIRE_TOOLS=1 and %s not found (%s)", name, install)
		}
		t.Skipf("%s not found (%s)", name, install)
	}
	return p
}

// pythonEnv is an environment whose python is python3 (the recorded
// commands say python; Debian has only python3) and that imports
// testdata/projects/mlflow_rest.py, the stand-in for the mlflow client.
func pythonEnv(t *testing.T) []string {
	t.Helper()
	py := needTool(t, "python3", "apt-get install python3")
	bin := t.TempDir()
	if err := os.Symlink(py, filepath.Join(bin, "python")); err != nil {
		t.Fatal(err)
	}
	lib, err := filepath.Abs("../testdata/projects")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "PYTHONPATH=" + lib, "PYTHONDONTWRITEBYTECODE=1", "HOME=" + t.TempDir(), "LANG=C.UTF-8"}
	return env
}

// copyFiles copies files (name → source path) into dir.
func copyFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// gitInit makes dir a git repository with one commit of everything in it
// and returns the commit.
func gitInit(t *testing.T, dir string) (*git.Repository, string) {
	t.Helper()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	return r, gitCommit(t, r, "first")
}

func gitCommit(t *testing.T, r *git.Repository, msg string) string {
	t.Helper()
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddGlob("."); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1e9, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// exchange is one request that reached the tracking server.
type exchange struct {
	Method, Path, Query, UserAgent string
	Body                           []byte
}

// recorder is a proxy in front of a tracking server that keeps every
// request, as the recorded transcript does.
type recorder struct {
	mu   sync.Mutex
	seen []exchange
	URL  string
}

func newRecorder(t *testing.T, target string) *recorder {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		rec.mu.Lock()
		rec.seen = append(rec.seen, exchange{r.Method, r.URL.Path, r.URL.RawQuery, r.UserAgent(), b})
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	rec.URL = ts.URL
	return rec
}

// take returns the requests seen since the last take.
func (r *recorder) take() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.seen
	r.seen = nil
	return out
}
