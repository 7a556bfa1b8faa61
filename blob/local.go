package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Local is a Store on a local directory.
type Local struct {
	root string // absolute, symlinks resolved
}

var _ Store = (*Local)(nil)

// NewLocal returns a store rooted at dir, creating it if needed.
func NewLocal(dir string) (*Local, error) {
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
	return &Local{root: real}, nil
}

// Root returns the store's absolute root directory.
func (l *Local) Root() string { return l.root }

// fsErr turns the file system's answers to a path that cannot be (a name
// too long, a file where a directory should be) into the store's errors:
// ErrInvalidPath for a write, fs.ErrNotExist for a read.
func fsErr(err error, writing bool) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ENAMETOOLONG):
		return &pathError{ErrInvalidPath, "a name in it is too long", err}
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR),
		errors.Is(err, syscall.ENOTEMPTY), errors.Is(err, syscall.EEXIST):
		if writing {
			return &pathError{ErrInvalidPath, "a file is in the way of a directory or a directory of a file", err}
		}
		return &pathError{fs.ErrNotExist, "no such artifact", err}
	}
	return err
}

// pathError is a problem with an artifact path, worded for the client:
// its message names no local path (the OS's error does, so it is kept
// only as a cause, for errors.Is and the server's log).
type pathError struct {
	kind  error // ErrInvalidPath or fs.ErrNotExist
	msg   string
	cause error
}

func (e *pathError) Error() string   { return e.kind.Error() + ": " + e.msg }
func (e *pathError) Unwrap() []error { return []error{e.kind, e.cause} }

// resolve maps a relative artifact path to a local path inside the root,
// following symlinks of the part that exists and refusing any that lead
// outside.
func (l *Local) resolve(p string) (string, error) {
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

func (l *Local) inside(p string) bool {
	return p == l.root || strings.HasPrefix(p, l.root+string(filepath.Separator))
}

// Put implements Store: it writes to a temporary file and renames
// it into place, so readers never see half a file.
func (l *Local) Put(ctx context.Context, p string, r io.Reader) error {
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

// Get implements Store.
func (l *Local) Get(_ context.Context, p string) (io.ReadCloser, error) {
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

// Delete implements Store.
func (l *Local) Delete(_ context.Context, p string) error {
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

// List implements Store.
func (l *Local) List(_ context.Context, dir string) ([]FileInfo, error) {
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

// URI implements Locator: file:///root.
func (l *Local) URI() string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(l.root)}).String()
}
