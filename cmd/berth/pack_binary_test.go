package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultImageBinary(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "berth")
	exe := func() (string, error) { return self, nil }
	if got := defaultImageBinary(exe); got != self {
		t.Errorf("without %s: got %q, want the running executable %q", servingBinary, got, self)
	}
	if err := os.Mkdir(filepath.Join(dir, servingBinary), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := defaultImageBinary(exe); got != self {
		t.Errorf("with a directory named %s: got %q, want %q", servingBinary, got, self)
	}
	other := t.TempDir()
	self = filepath.Join(other, "berth")
	slim := filepath.Join(other, servingBinary)
	if err := os.WriteFile(slim, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := defaultImageBinary(exe); got != slim {
		t.Errorf("with %s beside it: got %q, want %q", servingBinary, got, slim)
	}
	failing := func() (string, error) { return "", errors.New("no executable") }
	if got := defaultImageBinary(failing); got != "" {
		t.Errorf("when the executable is unknown: got %q, want \"\" (pack reports the error)", got)
	}
}

// TestServingBuildLeavesOut checks that the servingonly build, the binary
// images get (with the Makefile's tags), links none of the packages that
// only other commands use: a new command file without its //go:build
// !servingonly line fails here. It also checks that gin's nomsgpack tag
// still leaves its MessagePack codec out.
func TestServingBuildLeavesOut(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "servingonly,nomsgpack", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -tags servingonly,nomsgpack -deps: %v\n%s", err, out)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps["github.com/berthml/berth/serve"] {
		t.Fatalf("the servingonly build does not link serve; go list said:\n%s", out)
	}
	for _, p := range []string{
		"server", "ui", "tracking/sqlstore", "gateway", "gateway/keys", "blob/s3", "project", "recipe",
		"evaluate", "evaluate/llm", "pack",
	} {
		if deps["github.com/berthml/berth/"+p] {
			t.Errorf("the servingonly build links %s; give the command file that imports it //go:build !servingonly", p)
		}
	}
	if deps["github.com/ugorji/go/codec"] {
		t.Error("the nomsgpack build links github.com/ugorji/go/codec: gin's tag no longer leaves its MessagePack codec out (Makefile's TAGS)")
	}
}
