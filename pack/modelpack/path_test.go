package modelpack_test

import (
	"errors"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/pack/modelpack"
)

func TestValidatePath(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"MLmodel", true},
		{"model.onnx", true},
		{"code/pkg/util.py", true},
		{"weights/part-1.bin", true},
		{"..foo", true},
		{"a..b/c", true},
		{"", false},
		{"..", false},
		{".", false},
		{"../x", false},
		{"a/../../b", false},
		{"a/..", false},
		{"/etc/passwd", false},
		{"//host/share", false},
		{`..\x`, false},
		{`a\b`, false},
		{"C:evil", false},
		{"c:/evil", false},
		{"a//b", false},
		{"a/", false},
		{"./a", false},
		{"a/./b", false},
		{"x\x00y", false},
		{"x\ny", false},
		{strings.Repeat("a", 4097), false},
	} {
		err := modelpack.ValidatePath(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("ValidatePath(%q) = %v, want ok=%v", tc.path, err, tc.ok)
		}
		if err != nil && !errors.Is(err, modelpack.ErrUnsafePath) {
			t.Errorf("ValidatePath(%q) = %v, not ErrUnsafePath", tc.path, err)
		}
	}
}

func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"MLmodel", "a/b/c.onnx", "../x", "/etc/passwd", "a/../../b", `a\b`, "a\x00b", "C:x", "./a", "a//b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if modelpack.ValidatePath(p) != nil {
			return
		}
		// An accepted path is canonical, relative and stays inside any base.
		if path.Clean(p) != p || path.IsAbs(p) || filepath.IsAbs(p) {
			t.Fatalf("accepted non-canonical or absolute %q", p)
		}
		if strings.ContainsAny(p, "\\\x00") {
			t.Fatalf("accepted %q", p)
		}
		base := "/srv/model"
		rel, err := filepath.Rel(base, filepath.Join(base, p))
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || rel != p {
			t.Fatalf("accepted %q, which joins to %q", p, rel)
		}
	})
}
