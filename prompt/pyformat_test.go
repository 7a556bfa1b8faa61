package prompt

import (
	"encoding/json"
	"os"
	"testing"
)

// The goldens come from PyYAML and CPython (testdata/gen_goldens.py).

func TestDumpYAMLMatchesPyYAML(t *testing.T) {
	data, err := os.ReadFile("testdata/pyyaml_goldens.json")
	if err != nil {
		t.Fatalf("testdata/pyyaml_goldens.json is committed (regenerate with testdata/gen_goldens.py): %v", err)
	}
	var cases []struct {
		Value *string
		Key   *string
		YAML  string
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 50 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		var got string
		if c.Value != nil {
			s := *c.Value
			got = dumpYAML([]kv{{"model_parameters", []kv{{"k", s}}}, {"model_route", s}, {"prompt_parameters", []kv{}}, {"prompt_template", s}})
		} else {
			got = dumpYAML([]kv{{*c.Key, "v"}})
		}
		if got != c.YAML {
			t.Errorf("value %q key %q:\n got %q\nwant %q", deref(c.Value), deref(c.Key), got, c.YAML)
		}
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func TestPyStrAndDumpsMatchPython(t *testing.T) {
	data, err := os.ReadFile("testdata/pystr_goldens.json")
	if err != nil {
		t.Fatalf("testdata/pystr_goldens.json is committed (regenerate with testdata/gen_goldens.py): %v", err)
	}
	var cases []struct{ JSON, Str, Dumps string }
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		got, err := PyStr([]byte(c.JSON))
		if err != nil {
			t.Errorf("PyStr(%s): %v", c.JSON, err)
			continue
		}
		if got != c.Str {
			t.Errorf("PyStr(%s) = %q, want %q", c.JSON, got, c.Str)
		}
		v, err := decodeOrdered([]byte(c.JSON))
		if err != nil {
			t.Fatal(err)
		}
		if got := pyJSON(v, -1); got != c.Dumps {
			t.Errorf("pyJSON(%s) = %q, want %q", c.JSON, got, c.Dumps)
		}
	}
}
