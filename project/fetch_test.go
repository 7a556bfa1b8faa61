package project_test

import (
	"context"
	"errors"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/berthml/berth/project"
)

// TestFetch fetches projects from a directory and from git repositories
// made here: a subdirectory, a commit, a branch, a tag, and a repository
// with a remote.
func TestFetch(t *testing.T) {
	ctx := context.Background()
	plain := t.TempDir()
	os.WriteFile(filepath.Join(plain, "MLproject"), []byte("name: p\n"), 0o644)

	repoDir := t.TempDir()
	os.MkdirAll(filepath.Join(repoDir, "sub"), 0o755)
	os.WriteFile(filepath.Join(repoDir, "sub", "MLproject"), []byte("name: v1\n"), 0o644)
	r, first := gitInit(t, repoDir)
	if _, err := r.CreateTag("v1", plumbing.NewHash(first), nil); err != nil {
		t.Fatal(err)
	}
	wt, _ := r.Worktree()
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("feature"), Create: true}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(repoDir, "sub", "MLproject"), []byte("name: feature\n"), 0o644)
	feature := gitCommit(t, r, "feature")
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("master")}); err != nil {
		t.Fatal(err)
	}

	// A clone of it with a remote, as a user's working copy has.
	cloneDir := filepath.Join(t.TempDir(), "clone")
	if _, err := git.PlainClone(cloneDir, false, &git.CloneOptions{URL: repoDir}); err != nil {
		t.Fatal(err)
	}

	name := func(s *project.Source) string {
		p, err := project.Load(s.Dir)
		if err != nil {
			t.Fatal(err)
		}
		return p.Name
	}
	tests := []struct {
		uri, version                     string
		wantName, wantSource, wantCommit string
		wantRepo, wantBranch             string
		temp                             bool
	}{
		{uri: plain, wantName: "p", wantSource: plain},
		{uri: repoDir + "#sub", wantName: "v1", wantSource: repoDir + "#sub", wantCommit: first},
		{uri: repoDir, wantName: "", wantSource: "file://" + repoDir, wantCommit: first},
		{uri: repoDir + "#sub", version: "feature", wantName: "feature", wantSource: repoDir + "#sub", wantCommit: feature,
			wantBranch: "feature", temp: true},
		{uri: repoDir + "#sub", version: first, wantName: "v1", wantSource: repoDir + "#sub", wantCommit: first, temp: true},
		{uri: repoDir + "#sub", version: "v1", wantName: "v1", wantSource: repoDir + "#sub", wantCommit: first, temp: true},
		{uri: cloneDir + "#sub", wantName: "v1", wantSource: cloneDir + "#sub", wantCommit: first, wantRepo: repoDir},
	}
	for _, tt := range tests {
		t.Run(tt.uri+"@"+tt.version, func(t *testing.T) {
			s, err := project.Fetch(ctx, tt.uri, tt.version, project.CloneInto(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if n := name(s); n != tt.wantName {
				t.Errorf("project name %q, want %q", n, tt.wantName)
			}
			if s.Name != tt.wantSource || s.Commit != tt.wantCommit || s.RepoURL != tt.wantRepo || s.Branch != tt.wantBranch {
				t.Errorf("source %q commit %q repo %q branch %q, want %q %q %q %q", s.Name, s.Commit, s.RepoURL, s.Branch,
					tt.wantSource, tt.wantCommit, tt.wantRepo, tt.wantBranch)
			}
			if inTree := strings.HasPrefix(s.Dir, strings.SplitN(tt.uri, "#", 2)[0]); inTree == tt.temp {
				t.Errorf("project directory %s: want a temporary clone %v", s.Dir, tt.temp)
			}
			dir := s.Dir
			s.Close()
			if _, err := os.Stat(dir); tt.temp && err == nil {
				t.Errorf("Close left the clone %s", dir)
			}
		})
	}

	// The user's working tree is left as it was.
	head, _ := r.Head()
	if head.Name() != plumbing.NewBranchReferenceName("master") || head.Hash().String() != first {
		t.Errorf("the repository's HEAD moved to %s", head)
	}

	errs := []struct{ uri, version, want string }{
		{plain, "v1", "Setting a version is only supported for Git project URIs"},
		{repoDir + "#no/such", "", "Could not find subdirectory no/such of " + repoDir},
		{repoDir + "#../up", "", "'.' is not allowed in project subdirectory paths."},
		{repoDir, "no-such-version", "Unable to checkout version 'no-such-version' of git repo " + repoDir + "- please ensure"},
	}
	for _, e := range errs {
		_, err := project.Fetch(ctx, e.uri, e.version, project.CloneInto(t.TempDir()))
		var ee *project.ExecutionError
		if !errors.As(err, &ee) || !strings.HasPrefix(err.Error(), e.want) {
			t.Errorf("Fetch(%s, %q): %v, want %q", e.uri, e.version, err, e.want)
		}
	}
}

// TestFetchRemote clones through git's own protocol handling (a file://
// URL given as a remote, through go-git's transport), the way a URL is
// fetched.
func TestFetchRemote(t *testing.T) {
	repoDir := t.TempDir()
	os.WriteFile(filepath.Join(repoDir, "MLproject"), []byte("name: remote\n"), 0o644)
	r, commit := gitInit(t, repoDir)
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{"https://example.invalid/x.git"}}); err != nil {
		t.Fatal(err)
	}
	s, err := project.Fetch(context.Background(), repoDir, "master", project.CloneInto(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Commit != commit || s.Branch != "master" || s.RepoURL != "https://example.invalid/x.git" {
		t.Errorf("commit %s branch %s repo %s", s.Commit, s.Branch, s.RepoURL)
	}
}

// TestFetchHTTP clones a project over git's smart HTTP protocol from a
// real git server (git http-backend, served as CGI on 127.0.0.1): a URL
// with #subdir and -v BRANCH, tagged with the URL as MLflow tags a remote
// project.
func TestFetchHTTP(t *testing.T) {
	needTool(t, "git", "apt-get install git")
	backend := "/usr/lib/git-core/git-http-backend"
	if _, err := os.Stat(backend); err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			t.Fatalf("BERTH_REQUIRE_TOOLS=1 and %s not found (apt-get install git)", backend)
		}
		t.Skipf("%s not found (apt-get install git)", backend)
	}
	work := t.TempDir()
	os.MkdirAll(filepath.Join(work, "sub"), 0o755)
	os.WriteFile(filepath.Join(work, "sub", "MLproject"), []byte("name: over-http\n"), 0o644)
	r, _ := gitInit(t, work)
	wt, _ := r.Worktree()
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("feature"), Create: true}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(work, "sub", "MLproject"), []byte("name: feature-over-http\n"), 0o644)
	feature := gitCommit(t, r, "feature")
	root := t.TempDir()
	if _, err := git.PlainClone(filepath.Join(root, "repo.git"), true, &git.CloneOptions{URL: work, Mirror: true}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&cgi.Handler{Path: backend, Root: "/git",
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}})
	defer srv.Close()
	url := srv.URL + "/git/repo.git"

	s, err := project.Fetch(context.Background(), url+"#sub", "feature", project.CloneInto(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := project.Load(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "feature-over-http" || s.Name != url+"#sub" || s.Commit != feature || s.RepoURL != url || s.Branch != "feature" {
		t.Errorf("project %q source %q commit %q repo %q branch %q", p.Name, s.Name, s.Commit, s.RepoURL, s.Branch)
	}
	if _, err := project.Fetch(context.Background(), srv.URL+"/git/none.git", "", project.CloneInto(t.TempDir())); err == nil {
		t.Error("a repository that does not exist was fetched")
	}
}
