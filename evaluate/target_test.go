package evaluate

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadTarget(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		file, text string
		want       []string
		err        string
	}{
		{"a.csv", "x,target\n1,0\n2,1\n", []string{"0", "1"}, ""},
		{"bom.csv", "\ufefftarget,x\n\"a b\",1\n", []string{"a b"}, ""},
		{"none.csv", "x,y\n1,2\n", nil, `has no column "target" (it has x, y)`},
		{"empty.csv", "", nil, "no header row"},
		{"header.csv", "target\n", nil, "no data rows"},
		{"ragged.csv", "target,x\n1\n", nil, "wrong number of fields"},
		{"a.jsonl", "{\"target\": \"setosa\"}\n{\"target\": 1.0}\n{\"target\": true}\n", []string{"setosa", "1.0", "true"}, ""},
		{"b.ndjson", "{\"target\": 2}\n", []string{"2"}, ""},
		{"array.jsonl", "[1]\n", nil, "line 1: not a JSON object"},
		{"missing.jsonl", "{\"target\": 1}\n{\"x\": 1}\n", nil, `line 2: no "target" key`},
		{"empty.jsonl", "", nil, "no data rows"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := filepath.Join(dir, tt.file)
			if err := os.WriteFile(p, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadTarget(p, "target")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadTarget = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := ReadTarget(filepath.Join(dir, "nope.csv"), "target"); err == nil {
		t.Error("a missing file: no error")
	}
}

// FuzzReadTarget reads arbitrary CSV and JSON Lines: an error or one
// entry per data row, never a panic.
func FuzzReadTarget(f *testing.F) {
	f.Add([]byte("x,target\n1,0\n"), false)
	f.Add([]byte("{\"target\": \"a\"}\n{\"target\": 1}\n"), true)
	f.Add([]byte("\"unterminated\n"), false)
	f.Fuzz(func(t *testing.T, b []byte, jsonLines bool) {
		read := readTargetCSV
		if jsonLines {
			read = readTargetJSONL
		}
		out, err := read(bytes.NewReader(b), "fuzz", "target")
		if err == nil && len(out) == 0 {
			t.Error("no error and no rows")
		}
		if err == nil && !jsonLines && len(out) > bytes.Count(b, []byte("\n"))+1 {
			t.Errorf("%d rows from %d lines", len(out), bytes.Count(b, []byte("\n"))+1)
		}
	})
}
