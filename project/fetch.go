package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// Source is a fetched project and what MLflow records about where it came
// from.
type Source struct {
	// Dir is the project directory the command runs in.
	Dir string
	// Name is the mlflow.source.name tag.
	Name string
	// Commit is the git commit of Dir's repository (mlflow.source.git.commit),
	// empty when Dir is not in one.
	Commit string
	// RepoURL is the repository's first remote (mlflow.source.git.repoURL),
	// empty when it has none.
	RepoURL string
	// Branch is the -v version when it names a branch of the repository
	// (mlflow.source.git.branch).
	Branch string

	tmp string // a clone to remove
}

// Close removes the clone Fetch made, if any.
func (s *Source) Close() error {
	if s.tmp == "" {
		return nil
	}
	return os.RemoveAll(s.tmp)
}

// FetchOption configures Fetch.
type FetchOption func(*fetchConfig)

type fetchConfig struct {
	cwd    string
	tmpDir string
}

// FromDir resolves relative project paths (and MLflow's file:// source
// name) against dir. Default: the process's working directory.
func FromDir(dir string) FetchOption { return func(c *fetchConfig) { c.cwd = dir } }

// CloneInto clones git repositories under dir. Default: os.TempDir().
func CloneInto(dir string) FetchOption { return func(c *fetchConfig) { c.tmpDir = dir } }

// splitSubdirectory is MLflow's _parse_subdirectory: URI#subdir.
func splitSubdirectory(uri string) (string, string, error) {
	base, sub, _ := strings.Cut(uri, "#")
	if strings.Contains(sub, ".") {
		return "", "", execErr("'.' is not allowed in project subdirectory paths.")
	}
	return base, sub, nil
}

// isLocalURI tells a path or file: URI from a git remote (https://,
// ssh://, git://, user@host:path).
func isLocalURI(uri string) bool {
	switch pyScheme(uri) {
	case "":
		// user@host:path, git's scp-like syntax
		if i := strings.IndexByte(uri, ':'); i > 0 && !strings.Contains(uri[:i], "/") && strings.Contains(uri[:i], "@") {
			return false
		}
		return true
	case "file":
		return true
	}
	return false
}

// fileURIPath is the local path of a path or file: URI.
func fileURIPath(uri string) (string, error) {
	rest, ok := strings.CutPrefix(uri, "file:")
	if !ok {
		return uri, nil
	}
	if strings.HasPrefix(rest, "//") {
		host, path, _ := strings.Cut(rest[2:], "/")
		if host != "" && host != "localhost" {
			return "", execErr("%s is not a valid remote uri. berth reads file: URIs on this machine only", uri)
		}
		rest = "/" + path
	}
	return pyUnquote(rest), nil
}

// Fetch makes the project at uri available as a directory: a local
// directory as it is, a git repository (a URL, or a local repository with
// a version) cloned into a temporary directory and checked out at version
// (a commit, branch or tag; the default branch when empty). uri#subdir
// picks a subdirectory. The caller closes the Source.
func Fetch(ctx context.Context, uri, version string, opts ...FetchOption) (*Source, error) {
	c := fetchConfig{tmpDir: os.TempDir()}
	for _, o := range opts {
		o(&c)
	}
	if c.cwd == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		c.cwd = wd
	}
	base, sub, err := splitSubdirectory(uri)
	if err != nil {
		return nil, err
	}
	src := &Source{}
	var root string
	if isLocalURI(base) {
		p, err := fileURIPath(base)
		if err != nil {
			return nil, err
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.cwd, p)
		}
		p = filepath.Clean(p)
		src.Name = localSourceName(uri, c.cwd)
		root = p
		if version != "" {
			if _, err := git.PlainOpenWithOptions(p, &git.PlainOpenOptions{DetectDotGit: true}); err != nil {
				return nil, execErr("Setting a version is only supported for Git project URIs")
			}
			if err := src.clone(ctx, p, version, c.tmpDir); err != nil {
				return nil, err
			}
			root = src.tmp
		}
		// The user's repository's remote, not the temporary clone's.
		src.RepoURL = firstRemote(p)
	} else {
		src.Name = uri
		if err := src.clone(ctx, base, version, c.tmpDir); err != nil {
			return nil, err
		}
		root = src.tmp
	}
	src.Dir = filepath.Join(root, sub)
	if fi, err := os.Stat(src.Dir); err != nil || !fi.IsDir() {
		src.Close()
		return nil, execErr("Could not find subdirectory %s of %s", sub, root)
	}
	if src.Commit == "" {
		src.Commit = headCommit(src.Dir)
	}
	if !isLocalURI(base) {
		src.RepoURL = firstRemote(src.Dir)
	}
	return src, nil
}

// localSourceName is mlflow.source.name for a local project: the absolute
// path, written file://REPO#SUBDIR when it lies in a git working tree. As
// MLflow 2.x does, a file: URI is joined to the working directory as if it
// were a path (file:///repo becomes CWD/file:/repo), and a URI that already
// holds '#' is kept as it is.
func localSourceName(uri, cwd string) string {
	abs := uri
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(cwd, abs)
	}
	abs = filepath.Clean(abs)
	if strings.Contains(abs, "#") {
		return abs
	}
	if _, err := os.Stat(abs); err != nil {
		return abs
	}
	r, err := git.PlainOpenWithOptions(abs, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return abs
	}
	wt, err := r.Worktree()
	if err != nil {
		return abs
	}
	top := wt.Filesystem.Root()
	rel := strings.TrimPrefix(strings.Replace(abs, top, "", 1), "/")
	if rel == "" {
		return "file://" + top
	}
	return "file://" + top + "#" + rel
}

// clone clones uri into a new temporary directory and checks version out.
func (s *Source) clone(ctx context.Context, uri, version, tmpDir string) error {
	dir, err := os.MkdirTemp(tmpDir, "berth-project-")
	if err != nil {
		return fmt.Errorf("fetching project: %w", err)
	}
	s.tmp = dir
	fail := func(err error) error {
		os.RemoveAll(dir)
		s.tmp = ""
		return err
	}
	r, err := git.PlainCloneContext(ctx, dir, false, &git.CloneOptions{URL: uri, Tags: git.AllTags,
		RecurseSubmodules: git.DefaultSubmoduleRecursionDepth})
	if err != nil {
		return fail(fmt.Errorf("fetching git repository %s: %w", uri, err))
	}
	if version == "" {
		return nil
	}
	checkoutErr := func(err error) error {
		return fail(execErr("Unable to checkout version '%s' of git repo %s- please ensure that the version exists "+
			"in the repo. Error: %v", version, uri, err))
	}
	wt, err := r.Worktree()
	if err != nil {
		return fail(err)
	}
	// A branch of the remote: check it out as a local branch of that name,
	// as git checkout does, so that MLflow's branch tag applies.
	if ref, err := r.Reference(plumbing.NewRemoteReferenceName("origin", version), true); err == nil {
		name := plumbing.NewBranchReferenceName(version)
		if _, err := r.Reference(name, false); err == nil {
			err = wt.Checkout(&git.CheckoutOptions{Branch: name})
			if err != nil {
				return checkoutErr(err)
			}
		} else if err := wt.Checkout(&git.CheckoutOptions{Branch: name, Hash: ref.Hash(), Create: true}); err != nil {
			return checkoutErr(err)
		}
		s.Branch = version
		return updateSubmodules(ctx, wt, fail)
	}
	h, err := r.ResolveRevision(plumbing.Revision(version))
	if err != nil {
		return checkoutErr(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: *h}); err != nil {
		return checkoutErr(err)
	}
	return updateSubmodules(ctx, wt, fail)
}

func updateSubmodules(ctx context.Context, wt *git.Worktree, fail func(error) error) error {
	subs, err := wt.Submodules()
	if err != nil {
		return fail(fmt.Errorf("reading submodules: %w", err))
	}
	if len(subs) == 0 {
		return nil
	}
	if err := subs.UpdateContext(ctx, &git.SubmoduleUpdateOptions{Init: true, RecurseSubmodules: git.DefaultSubmoduleRecursionDepth}); err != nil {
		return fail(fmt.Errorf("updating submodules: %w", err))
	}
	return nil
}

// headCommit is the HEAD commit of the repository holding dir (MLflow's
// get_git_commit), or "".
func headCommit(dir string) string {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return ""
	}
	h, err := r.Head()
	if err != nil {
		return ""
	}
	return h.Hash().String()
}

// firstRemote is the URL of the repository's first remote (origin when it
// has one), or "".
func firstRemote(dir string) string {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return ""
	}
	remotes, err := r.Remotes()
	if err != nil || len(remotes) == 0 {
		return ""
	}
	sort.SliceStable(remotes, func(i, j int) bool {
		return remotes[i].Config().Name == "origin" && remotes[j].Config().Name != "origin"
	})
	if urls := remotes[0].Config().URLs; len(urls) > 0 {
		return urls[0]
	}
	return ""
}
