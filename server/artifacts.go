package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// ArtifactStore keeps run artifacts under slash-separated relative paths
// such as "1/<run id>/artifacts/model/MLmodel".
type ArtifactStore interface {
	// Put writes r to path, creating parent directories and replacing an
	// existing file.
	Put(ctx context.Context, path string, r io.Reader) error
	// Get opens the file at path; a missing file is an error wrapping
	// fs.ErrNotExist.
	Get(ctx context.Context, path string) (io.ReadCloser, error)
	// Delete removes the file or directory tree at path.
	Delete(ctx context.Context, path string) error
	// List returns the entries of directory dir ("" is the root), sorted by
	// name, with paths relative to dir. A missing dir is an error wrapping
	// fs.ErrNotExist; a file is ErrNotDir.
	List(ctx context.Context, dir string) ([]FileInfo, error)
}

// FileInfo is one entry of an artifact directory.
type FileInfo struct {
	Path  string // relative to the listed directory
	IsDir bool
	Size  int64 // zero for directories
}

var (
	// ErrInvalidPath is returned for an artifact path that is absolute,
	// escapes the root (.., an encoded separator or dot, a symlink pointing
	// outside) or contains a NUL or backslash.
	ErrInvalidPath = errors.New("invalid artifact path")
	// ErrNotDir is returned by List for a path that names a file.
	ErrNotDir = errors.New("not a directory")
)

// LocalArtifacts is an ArtifactStore on a local directory.
type LocalArtifacts struct {
	root string // absolute, symlinks resolved
}

var _ ArtifactStore = (*LocalArtifacts)(nil)

// NewLocalArtifacts returns a store rooted at dir, creating it if needed.
func NewLocalArtifacts(dir string) (*LocalArtifacts, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating artifact root %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving artifact root %s: %w", dir, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("resolving artifact root %s: %w", dir, err)
	}
	return &LocalArtifacts{root: real}, nil
}

// Root returns the store's absolute root directory.
func (l *LocalArtifacts) Root() string { return l.root }

// Limits of an artifact path: those of Linux file systems (NAME_MAX), and
// a total that leaves room for the artifact root within PATH_MAX.
const (
	maxNameLen = 255
	maxPathLen = 3072
)

// fsErr turns the file system's answers to a path that cannot be (a name
// too long, a file where a directory should be) into the store's errors:
// ErrInvalidPath for a write, fs.ErrNotExist for a read.
func fsErr(err error, writing bool) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ENAMETOOLONG):
		return fmt.Errorf("%w: %w", ErrInvalidPath, err)
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR),
		errors.Is(err, syscall.ENOTEMPTY), errors.Is(err, syscall.EEXIST):
		if writing {
			return fmt.Errorf("%w: a file is in the way of a directory or a directory of a file: %w", ErrInvalidPath, err)
		}
		return fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	return err
}

// CleanPath checks an artifact path and returns it in canonical form
// ("" for the root). It rejects absolute paths, "..", backslashes, NULs and
// percent-encoded separators or dots, which a path that was already
// URL-decoded never needs.
func CleanPath(p string) (string, error) {
	if strings.ContainsAny(p, "\\\x00") {
		return "", fmt.Errorf("%w %q", ErrInvalidPath, p)
	}
	// Check each layer of percent-encoding, so that a path decoded once
	// more by something downstream cannot escape either.
	for s, i := p, 0; i < 4 && strings.Contains(s, "%"); i++ {
		lower := strings.ToLower(s)
		for _, enc := range []string{"%2f", "%5c", "%2e", "%00"} {
			if strings.Contains(lower, enc) {
				return "", fmt.Errorf("%w %q: encoded separator or dot", ErrInvalidPath, p)
			}
		}
		d, err := url.PathUnescape(s)
		if err != nil || d == s {
			break
		}
		s = d
	}
	if strings.HasPrefix(p, "/") || filepath.IsAbs(p) {
		return "", fmt.Errorf("%w %q: absolute", ErrInvalidPath, p)
	}
	if len(p) > maxPathLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidPath, maxPathLen)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", fmt.Errorf("%w %q: escapes the root", ErrInvalidPath, p)
		}
		if len(seg) > maxNameLen {
			return "", fmt.Errorf("%w: a name in it is longer than %d bytes", ErrInvalidPath, maxNameLen)
		}
	}
	c := path.Clean("/" + p)[1:]
	return c, nil
}

// resolve maps a relative artifact path to a local path inside the root,
// following symlinks of the part that exists and refusing any that lead
// outside.
func (l *LocalArtifacts) resolve(p string) (string, error) {
	c, err := CleanPath(p)
	if err != nil {
		return "", err
	}
	full := filepath.Join(l.root, filepath.FromSlash(c))
	// Resolve the deepest existing ancestor (the path itself if it exists).
	existing, rest := full, ""
	for {
		real, err := filepath.EvalSymlinks(existing)
		if err == nil {
			if !l.inside(real) {
				return "", fmt.Errorf("%w %q: leads outside the artifact root", ErrInvalidPath, p)
			}
			return filepath.Join(real, rest), nil
		}
		// A file in the middle of the path (ENOTDIR) means the rest does
		// not exist either.
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return "", fmt.Errorf("resolving artifact path %q: %w", p, fsErr(err, false))
		}
		parent := filepath.Dir(existing)
		if parent == existing || !l.inside(parent) && parent != l.root {
			return "", fmt.Errorf("%w %q", ErrInvalidPath, p)
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = parent
	}
}

func (l *LocalArtifacts) inside(p string) bool {
	return p == l.root || strings.HasPrefix(p, l.root+string(filepath.Separator))
}

// Put implements ArtifactStore: it writes to a temporary file and renames
// it into place, so readers never see half a file.
func (l *LocalArtifacts) Put(ctx context.Context, p string, r io.Reader) error {
	full, err := l.resolve(p)
	if err != nil {
		return err
	}
	if full == l.root {
		return fmt.Errorf("%w %q: names the root", ErrInvalidPath, p)
	}
	if st, err := os.Stat(full); err == nil && st.IsDir() {
		return fmt.Errorf("%w %q: a directory of artifacts is there", ErrInvalidPath, p)
	}
	dir := filepath.Dir(full)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating artifact directory: %w", fsErr(err, true))
	}
	// A symlink may have appeared between resolve and MkdirAll.
	if real, err := filepath.EvalSymlinks(dir); err != nil || !l.inside(real) {
		return fmt.Errorf("%w %q: leads outside the artifact root", ErrInvalidPath, p)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return fmt.Errorf("writing artifact %s: %w", p, fsErr(err, true))
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, ctxReader{ctx, r}); err != nil {
		tmp.Close()
		return fmt.Errorf("writing artifact %s: %w", p, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing artifact %s: %w", p, err)
	}
	if err := os.Rename(tmp.Name(), full); err != nil {
		return fmt.Errorf("writing artifact %s: %w", p, fsErr(err, true))
	}
	return nil
}

// Get implements ArtifactStore.
func (l *LocalArtifacts) Get(_ context.Context, p string) (io.ReadCloser, error) {
	full, err := l.resolve(p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(full)
	if err != nil {
		return nil, fmt.Errorf("reading artifact %s: %w", p, fsErr(err, false))
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("reading artifact %s: %w", p, fs.ErrNotExist)
	}
	return f, nil
}

// Delete implements ArtifactStore.
func (l *LocalArtifacts) Delete(_ context.Context, p string) error {
	full, err := l.resolve(p)
	if err != nil {
		return err
	}
	if full == l.root {
		return fmt.Errorf("%w %q: names the root", ErrInvalidPath, p)
	}
	if _, err := os.Lstat(full); err != nil {
		return fmt.Errorf("deleting artifact %s: %w", p, fsErr(err, false))
	}
	if err := os.RemoveAll(full); err != nil {
		return fmt.Errorf("deleting artifact %s: %w", p, err)
	}
	return nil
}

// List implements ArtifactStore.
func (l *LocalArtifacts) List(_ context.Context, dir string) ([]FileInfo, error) {
	full, err := l.resolve(dir)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(full)
	if err != nil {
		return nil, fmt.Errorf("listing artifacts %s: %w", dir, fsErr(err, false))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("listing artifacts %s: %w", dir, ErrNotDir)
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		return nil, fmt.Errorf("listing artifacts %s: %w", dir, err)
	}
	out := make([]FileInfo, 0, len(entries))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".upload-") {
			continue
		}
		fi := FileInfo{Path: e.Name(), IsDir: e.IsDir()}
		if !fi.IsDir {
			info, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			fi.Size = info.Size()
		}
		out = append(out, fi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// artifactPathOf maps an artifact URI this server hands out
// (mlflow-artifacts:/1/<run>/artifacts, or mlflow-artifacts://host/1/...)
// to a path in the ArtifactStore.
func artifactPathOf(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "mlflow-artifacts" {
		return "", fmt.Errorf("%w: artifact URI %q is not served by this server (want mlflow-artifacts:/...)", ErrInvalidPath, uri)
	}
	return CleanPath(strings.TrimPrefix(u.Path, "/"))
}
