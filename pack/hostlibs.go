package pack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// ErrMissingLibrary is returned when the dynamic loader cannot find a shared
// library that a packed file needs.
var ErrMissingLibrary = errors.New("shared library not found")

// HostLibraries lists the shared libraries the dynamic executables and
// libraries files load on this host, as the dynamic loader resolves them
// (ldd), the loader included; sorted, without duplicates. A file that is not
// dynamically linked adds nothing. A library the loader cannot find is an
// error wrapping ErrMissingLibrary.
func HostLibraries(ctx context.Context, files ...string) ([]string, error) {
	seen := map[string]bool{}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("listing the libraries of %s: %w", f, err)
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, "ldd", f)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		out := stdout.String() + stderr.String()
		if strings.Contains(out, "not a dynamic executable") || strings.Contains(out, "statically linked") {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing the libraries of %s with ldd: %w: %s", f, err, strings.TrimSpace(out))
		}
		libs, err := parseLDD(stdout.String())
		if err != nil {
			return nil, fmt.Errorf("listing the libraries of %s: %w", f, err)
		}
		for _, l := range libs {
			seen[l] = true
		}
	}
	list := make([]string, 0, len(seen))
	for l := range seen {
		list = append(list, l)
	}
	slices.Sort(list)
	return list, nil
}

// parseLDD reads ldd's output: "name => /path (0x...)", "/path (0x...)" for
// the loader, and "linux-vdso.so.1 (0x...)" for libraries the kernel
// provides, which are skipped.
func parseLDD(out string) ([]string, error) {
	var libs []string
	var missing []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		name, target, arrow := strings.Cut(line, "=>")
		if !arrow {
			target = name
		}
		target = strings.TrimSpace(target)
		if strings.HasPrefix(target, "not found") {
			missing = append(missing, strings.TrimSpace(name))
			continue
		}
		if i := strings.LastIndex(target, " ("); i >= 0 {
			target = target[:i]
		}
		target = strings.TrimSpace(target)
		if !filepath.IsAbs(target) {
			continue // the vDSO, or "name => (0x...)"
		}
		libs = append(libs, filepath.Clean(target))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrMissingLibrary, strings.Join(missing, ", "))
	}
	return libs, nil
}

// hostPath adds the host file p to the tree at the same path, with every
// symbolic link met on the way (a directory such as /lib on merged-/usr
// systems, or a library's soname link), so that the image resolves p as the
// host does.
func (t *tree) hostPath(p string) error {
	return t.hostPathDepth(filepath.Clean(p), 0)
}

func (t *tree) hostPathDepth(p string, depth int) error {
	if depth > 40 {
		return fmt.Errorf("adding %s: too many symbolic links", p)
	}
	if !filepath.IsAbs(p) {
		return fmt.Errorf("adding %s: not an absolute path", p)
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := "/"
	for i, part := range parts {
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		if err != nil {
			return fmt.Errorf("adding %s: %w", p, err)
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(next)
			if err != nil {
				return fmt.Errorf("adding %s: %w", p, err)
			}
			if err := t.symlink(next, target); err != nil {
				return err
			}
			abs := target
			if !filepath.IsAbs(abs) {
				abs = filepath.Join(cur, target)
			}
			return t.hostPathDepth(filepath.Join(append([]string{abs}, parts[i+1:]...)...), depth+1)
		case i == len(parts)-1:
			return t.file(next, next)
		case !fi.IsDir():
			return fmt.Errorf("adding %s: %s is not a directory", p, next)
		}
		cur = next
	}
	return nil
}
