package pack

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseLDD(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want []string
		err  error
	}{
		{"dynamic", "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n",
			[]string{"/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}, nil},
		{"missing", "\tlibfoo.so.1 => not found\n\tlibc.so.6 => /lib/libc.so.6 (0x1)\n", nil, ErrMissingLibrary},
		{"empty", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLDD(tt.out)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if tt.err != nil && !strings.Contains(err.Error(), "libfoo.so.1") {
				t.Errorf("error %q does not name the library", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHostLibrariesLS finds /bin/ls's libraries with the host's ldd and
// checks that the tree made of them resolves each library as the host does.
func TestHostLibrariesLS(t *testing.T) {
	requireLDD(t)
	libs, err := HostLibraries(context.Background(), "/bin/ls")
	if err != nil {
		t.Fatal(err)
	}
	var libc, loader bool
	for _, l := range libs {
		libc = libc || strings.HasPrefix(filepath.Base(l), "libc.so")
		loader = loader || strings.HasPrefix(filepath.Base(l), "ld-linux")
	}
	if !libc || !loader {
		t.Fatalf("libraries of /bin/ls: %q: want libc and the loader", libs)
	}
	tr := newTree()
	for _, l := range libs {
		if err := tr.hostPath(l); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range libs {
		real, err := filepath.EvalSymlinks(l)
		if err != nil {
			t.Fatal(err)
		}
		if got := resolve(t, tr, l); got != clean(real) {
			t.Errorf("%s resolves to /%s in the image, to %s on the host", l, got, real)
		}
		if e := tr.entries[clean(real)]; e == nil || e.typ != tar.TypeReg || e.src != real {
			t.Errorf("%s: the image lacks the file", real)
		}
	}
}

// resolve follows the tree's symbolic links from p as a kernel would.
func resolve(t *testing.T, tr *tree, p string) string {
	parts := strings.Split(clean(p), "/")
	cur := ""
	for hops := 0; len(parts) > 0; {
		next := filepath.Join(cur, parts[0])
		parts = parts[1:]
		e := tr.entries[next]
		if e == nil {
			t.Fatalf("%s: /%s is not in the image", p, next)
		}
		if e.typ == tar.TypeSymlink {
			if hops++; hops > 40 {
				t.Fatalf("%s: link loop", p)
			}
			target := e.linkname
			if !filepath.IsAbs(target) {
				target = filepath.Join("/", cur, target)
			}
			parts = append(strings.Split(clean(target), "/"), parts...)
			cur = ""
			continue
		}
		cur = next
	}
	return cur
}

func TestHostLibrariesErrors(t *testing.T) {
	requireLDD(t)
	if _, err := HostLibraries(context.Background(), "/no/such/file"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	text := filepath.Join(t.TempDir(), "script")
	os.WriteFile(text, []byte("#!/bin/sh\n"), 0o755)
	if libs, err := HostLibraries(context.Background(), text); err != nil || len(libs) != 0 {
		t.Errorf("not a dynamic executable: %q, %v", libs, err)
	}
}

func FuzzParseLDD(f *testing.F) {
	f.Add("\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x1)\n")
	f.Add("\tlibfoo.so => not found\n")
	f.Add("\tstatically linked\n")
	f.Fuzz(func(t *testing.T, out string) {
		libs, err := parseLDD(out)
		for _, l := range libs {
			if !filepath.IsAbs(l) {
				t.Errorf("%q: relative library path %q", out, l)
			}
		}
		if err != nil && !errors.Is(err, ErrMissingLibrary) {
			t.Errorf("%q: error %v", out, err)
		}
	})
}

// requireLDD skips the test when the host has no ldd (a musl or non-Linux
// host), or fails it when BERTH_REQUIRE_TOOLS=1, as under make test.
func requireLDD(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ldd"); err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			t.Fatal("BERTH_REQUIRE_TOOLS=1 and ldd not found (apt-get install libc-bin)")
		}
		t.Skip("ldd not found (apt-get install libc-bin)")
	}
}
