package blob_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/blob"
)

func newLocal(t *testing.T) (*blob.Local, string) {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	l, err := blob.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	return l, dir
}

func TestLocalRoundTrip(t *testing.T) {
	ctx := context.Background()
	l, _ := newLocal(t)
	for p, body := range map[string]string{
		"1/run/artifacts/model/MLmodel":    "flavors: {}\n",
		"1/run/artifacts/model/model.onnx": "\x00\x01onnx",
		"1/run/artifacts/notes.txt":        "hello",
	} {
		if err := l.Put(ctx, p, strings.NewReader(body)); err != nil {
			t.Fatalf("Put(%s): %v", p, err)
		}
		rc, err := l.Get(ctx, p)
		if err != nil {
			t.Fatalf("Get(%s): %v", p, err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != body {
			t.Errorf("Get(%s) = %q, want %q", p, got, body)
		}
	}
	files, err := l.List(ctx, "1/run/artifacts")
	if err != nil {
		t.Fatal(err)
	}
	want := []blob.FileInfo{{Path: "model", IsDir: true}, {Path: "notes.txt", Size: 5}}
	if len(files) != len(want) || files[0] != want[0] || files[1] != want[1] {
		t.Errorf("List = %+v, want %+v", files, want)
	}
	if _, err := l.List(ctx, "1/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := l.List(ctx, "1/run/artifacts/notes.txt"); !errors.Is(err, blob.ErrNotDir) {
		t.Errorf("List(file) = %v, want ErrNotDir", err)
	}
	if _, err := l.Get(ctx, "1/run/artifacts/nope.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := l.Get(ctx, "1/run/artifacts/model"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get(dir) = %v, want fs.ErrNotExist", err)
	}
	if err := l.Delete(ctx, "1/run/artifacts/model"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Get(ctx, "1/run/artifacts/model/MLmodel"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get after Delete = %v, want fs.ErrNotExist", err)
	}
	if err := l.Delete(ctx, "1/run/artifacts/model"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Delete(missing) = %v, want fs.ErrNotExist", err)
	}
}

// TestLocalRefusesEscapes checks every way out of the root, for
// each operation.
func TestLocalRefusesEscapes(t *testing.T) {
	ctx := context.Background()
	l, dir := newLocal(t)
	outside := filepath.Join(dir, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(l.Root(), "dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(l.Root(), "filelink")); err != nil {
		t.Fatal(err)
	}
	// A symlink that stays inside the root is fine.
	if err := os.MkdirAll(filepath.Join(l.Root(), "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(l.Root(), "real"), filepath.Join(l.Root(), "innerlink")); err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, "innerlink/ok.txt", strings.NewReader("ok")); err != nil {
		t.Errorf("Put through a symlink inside the root: %v", err)
	}

	cases := []struct{ name, path string }{
		{"dot-dot", "../outside/secret.txt"},
		{"dot-dot inside", "1/../../outside/secret.txt"},
		{"dot-dot at the end", "1/.."},
		{"absolute", "/etc/passwd"},
		{"encoded slash", "..%2Foutside%2Fsecret.txt"},
		{"encoded slash upper", "1%2F..%2F..%2Fx"},
		{"encoded dots", "%2e%2e/outside/secret.txt"},
		{"encoded dots upper", "%2E%2E/outside/secret.txt"},
		{"double encoded", "%252e%252e/outside"},
		{"backslash", "..\\outside\\secret.txt"},
		{"NUL", "a\x00b"},
		{"symlinked dir", "dirlink/secret.txt"},
		{"symlinked dir new file", "dirlink/new/evil.txt"},
		{"symlinked file", "filelink"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := l.Put(ctx, c.path, strings.NewReader("evil")); !errors.Is(err, blob.ErrInvalidPath) {
				t.Errorf("Put(%q) = %v, want ErrInvalidPath", c.path, err)
			}
			if rc, err := l.Get(ctx, c.path); !errors.Is(err, blob.ErrInvalidPath) {
				if rc != nil {
					rc.Close()
				}
				t.Errorf("Get(%q) = %v, want ErrInvalidPath", c.path, err)
			}
			if _, err := l.List(ctx, c.path); !errors.Is(err, blob.ErrInvalidPath) {
				t.Errorf("List(%q) = %v, want ErrInvalidPath", c.path, err)
			}
			if err := l.Delete(ctx, c.path); !errors.Is(err, blob.ErrInvalidPath) {
				t.Errorf("Delete(%q) = %v, want ErrInvalidPath", c.path, err)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(outside, "secret.txt")); err != nil || string(b) != "secret" {
		t.Errorf("the file outside the root changed: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(outside, "new")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a directory was created outside the root: %v", err)
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"1/run/artifacts/model", "../x", "/abs", "a/./b", "%2e%2e/x", "a//b/", "a\\b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c, err := blob.CleanPath(p)
		if err != nil {
			return
		}
		if strings.HasPrefix(c, "/") || c == ".." || strings.HasPrefix(c, "../") || strings.Contains(c, "/../") ||
			strings.ContainsAny(c, "\\\x00") || strings.Contains(strings.ToLower(c), "%2f") {
			t.Fatalf("CleanPath(%q) = %q: escapes or is not canonical", p, c)
		}
		if again, err := blob.CleanPath(c); err != nil || again != c {
			t.Fatalf("CleanPath(%q) = %q, then %q, %v: not idempotent", p, c, again, err)
		}
	})
}

// TestLocalErrorsNameNoLocalPath: a path that a file is in the way of, or
// that reads through a file, is ErrInvalidPath or fs.ErrNotExist whose
// message (which the server sends the client) names no local path.
func TestLocalErrorsNameNoLocalPath(t *testing.T) {
	ctx := context.Background()
	l, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, "1/ok/f.txt", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	err = l.Put(ctx, "1/ok/f.txt/x", strings.NewReader("y"))
	if !errors.Is(err, blob.ErrInvalidPath) || strings.Contains(err.Error(), l.Root()) {
		t.Errorf("a write through a file: %v", err)
	}
	_, err = l.Get(ctx, "1/ok/f.txt/x")
	if !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), l.Root()) {
		t.Errorf("a read through a file: %v", err)
	}
}
