package prompt

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
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

// FuzzDumpYAMLRoundTrip: whatever a client sends as a template, route or
// parameter, parameters.yaml reads back (as berth serve reads it) to the
// same strings: no value can break out of its scalar.
func FuzzDumpYAMLRoundTrip(f *testing.F) {
	for _, s := range []string{"", "plain", "a: b", "- x", "'q'", "\"d\"", "line\nbreak", " lead", "trail ", "tab\t", "café",
		"x\x00y", "#c", "{{ v }}", "yes", "0.5", "~", "? k", "a\n\n b", strings.Repeat("word ", 40)} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, template, key string) {
		if !utf8.ValidString(template) || !utf8.ValidString(key) || key == "" {
			return // Go strings from JSON requests are valid UTF-8
		}
		m := &Model{Template: template, Route: template, ModelParameters: []Param{{key, template}}, PromptParameters: []Param{{key, template}}}
		var back struct {
			ModelParameters  map[string]string `yaml:"model_parameters"`
			ModelRoute       string            `yaml:"model_route"`
			PromptParameters map[string]string `yaml:"prompt_parameters"`
			PromptTemplate   string            `yaml:"prompt_template"`
		}
		text := m.parametersYAML()
		if err := yaml.Unmarshal([]byte(text), &back); err != nil {
			t.Fatalf("%q does not parse: %v", text, err)
		}
		if back.PromptTemplate != template || back.ModelRoute != template || back.ModelParameters[key] != template || back.PromptParameters[key] != template {
			t.Fatalf("round trip of %q / %q through\n%s\ngave %+v", template, key, text, back)
		}
	})
}
