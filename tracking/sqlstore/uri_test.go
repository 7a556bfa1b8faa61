package sqlstore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckURI(t *testing.T) {
	cases := []struct{ uri, err string }{
		{"sqlite:///berth-data/berth.db", ""},
		{"sqlite:////var/lib/berth.db", ""},
		{"postgresql://u:p@db/berth", ""},
		{"postgres://db/berth", ""},
		{"berth.db", ""},
		{`C:\berth\berth.db`, ""}, // a drive letter is no scheme
		{"mysql://u:secret@db/berth", "cannot store to mysql: URIs; it supports sqlite:///"},
		{"file:///srv/mlruns", "cannot store to file: URIs"},
		{"databricks://profile", "cannot store to databricks: URIs"},
	}
	for _, c := range cases {
		err := CheckURI(c.uri)
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("CheckURI(%q) = %v, want %q", c.uri, err, c.err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgresql://berth:secret@db:5432/berth": "postgresql://berth:xxxxx@db:5432/berth",
		"postgres://berth@db/berth":               "postgres://berth@db/berth",
		"sqlite:///berth-data/berth.db":           "sqlite:///berth-data/berth.db",
		"berth.db":                                "berth.db",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMakeDir(t *testing.T) {
	dir := t.TempDir()
	if err := MakeDir("sqlite:///" + filepath.Join(dir, "a", "b", "berth.db")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "a", "b")); err != nil || !fi.IsDir() {
		t.Fatalf("the database directory was not made: %v", err)
	}
	if err := MakeDir("sqlite://host/x.db"); err == nil {
		t.Error("MakeDir accepted a URI SQLitePath refuses")
	}
}
