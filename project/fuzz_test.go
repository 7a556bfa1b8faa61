package project_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/berthml/berth/project"
)

// FuzzParse feeds MLproject text to the parser: it never panics, and every
// entry point it accepts renders with its defaults (and a value for each
// parameter without one).
func FuzzParse(f *testing.F) {
	b, err := os.ReadFile(filepath.Join(recorded, "project", "MLproject"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, s := range []string{
		"", "name: x\n", "entry_points: {main: {command: 'echo {a}', parameters: {a: {type: path, default: 1.5}}}}\n",
		"docker_env: {image: x, volumes: ['/a:/b'], environment: [[A, b], C]}\n", "python_env: p.yaml\nconda_env: c.yaml\n",
		"entry_points:\n  e:\n    command: '{{x}} {y}'\n    parameters: {y: {default: 0x10}}\n", "a: &x {b: 1}\nc: *x\n",
		"entry_points: {m: {command: '{', parameters: [1]}}\n", "!!binary aGk=", "entry_points: {m: {command: x, parameters: {a: [1]}}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := project.Parse("MLproject", text)
		if err != nil {
			return
		}
		for _, ep := range p.EntryPoints {
			var user []project.Param
			for _, par := range ep.Parameters {
				if !par.HasDefault {
					user = append(user, project.Param{Key: par.Name, Value: "v"})
				}
			}
			if _, err := ep.Render(user, ""); err != nil && !strings.Contains(err.Error(), "URI") {
				t.Fatalf("entry point %q was accepted but does not render: %v", ep.Name, err)
			}
		}
	})
}

// FuzzParseParams checks -P parsing: names and values round-trip, and the
// quoted value reads back as the value through a POSIX shell's word rules.
func FuzzParseParams(f *testing.F) {
	for _, s := range []string{"a=1", "label=two words it's", "x==", "=v", "novalue", "é=ü", "a=$(rm -rf /)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		ps, err := project.ParseParams([]string{arg})
		if err != nil {
			if strings.Contains(arg, "=") {
				t.Fatalf("ParseParams(%q): %v", arg, err)
			}
			return
		}
		if ps[0].Key+"="+ps[0].Value != arg {
			t.Fatalf("ParseParams(%q) = %+v", arg, ps[0])
		}
		if strings.ContainsRune(ps[0].Value, 0) {
			return
		}
		words, err := project.SplitWords(project.Quote(ps[0].Value))
		if err != nil || len(words) != 1 || words[0] != ps[0].Value {
			t.Fatalf("Quote(%q) = %s reads back as %q (%v)", ps[0].Value, project.Quote(ps[0].Value), words, err)
		}
	})
}

// FuzzRenderJob feeds job templates and commands to RenderJob: it never
// panics, and what it renders from the documented template decodes as
// YAML again.
func FuzzRenderJob(f *testing.F) {
	b, err := os.ReadFile("../testdata/projects/kubernetes/kubernetes_job_template.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "python train.py --alpha 0.5")
	f.Add([]byte("metadata: {}\nspec: {template: {spec: {containers: [{}]}}}\n"), `a 'b c' "d\"e" f\ g`)
	f.Add([]byte("metadata: x\n"), "'unterminated")
	f.Add([]byte("metadata: {}\nspec: {template: {spec: {containers: [1]}}}\n"), "")
	f.Fuzz(func(t *testing.T, tmpl []byte, command string) {
		out, err := project.RenderJob(tmpl, project.Job{ProjectName: "p", Image: "i", Command: command})
		if err != nil {
			return
		}
		var doc map[string]any
		if err := yaml.Unmarshal(out, &doc); err != nil || doc["metadata"] == nil {
			t.Fatalf("the rendered Job does not read back: %v\n%s", err, out)
		}
	})
}
