package project_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/project"
)

func TestLoadRecordedProject(t *testing.T) {
	p, err := project.Load(filepath.Join(recorded, "project"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "conformance-project" || p.EnvType != project.EnvPython || filepath.Base(p.EnvFile) != "python_env.yaml" {
		t.Errorf("name %q env %s %s", p.Name, p.EnvType, p.EnvFile)
	}
	var names []string
	for _, ep := range p.EntryPoints {
		names = append(names, ep.Name)
	}
	if !reflect.DeepEqual(names, []string{"main", "fail"}) {
		t.Errorf("entry points %v, want [main fail] in file order", names)
	}
	main, _ := p.EntryPoint("main", "")
	want := []project.Parameter{
		{Name: "data_file", Type: "path"},
		{Name: "alpha", Type: "float", Default: "0.1", HasDefault: true},
		{Name: "label", Type: "string", Default: "hello world", HasDefault: true},
		{Name: "epochs", Type: "int", Default: "3", HasDefault: true},
	}
	if !reflect.DeepEqual(main.Parameters, want) {
		t.Errorf("main's parameters:\n%+v\nwant\n%+v", main.Parameters, want)
	}
}

// TestRender renders the recorded commands (README.md's "Command
// formatting") from the recorded project.
func TestRender(t *testing.T) {
	cwd := t.TempDir()
	os.WriteFile(filepath.Join(cwd, "data.csv"), []byte("x\n"), 0o644)
	p, err := project.Load(filepath.Join(recorded, "project"))
	if err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(cwd, "data.csv")
	tests := []struct {
		entry  string
		params []project.Param
		want   string
	}{
		{"main", []project.Param{{"data_file", "data.csv"}, {"alpha", "0.5"}, {"label", "two words it's"}, {"extra", "7"}},
			"python train.py --data-file " + abs + ` --alpha 0.5 --label 'two words it'"'"'s' --epochs 3 --extra 7`},
		{"main", []project.Param{{"data_file", abs}}, "python train.py --data-file " + abs + " --alpha 0.1 --label 'hello world' --epochs 3"},
		{"main", []project.Param{{"data_file", "file://" + abs}}, "python train.py --data-file " + abs + " --alpha 0.1 --label 'hello world' --epochs 3"},
		{"main", []project.Param{{"data_file", "./data.csv"}, {"alpha", "abc"}}, "python train.py --data-file " + abs + " --alpha abc --label 'hello world' --epochs 3"},
		{"fail", []project.Param{{"code", "3"}}, "python fail.py 3"},
		{"fail", nil, "python fail.py 3"},
		{"other.py", []project.Param{{"foo", "bar"}, {"msg", "hello world"}}, "python other.py --foo bar --msg 'hello world'"},
		{"other.py", nil, "python other.py"},
		{"run.sh", nil, "/bin/bash run.sh"},
		{"my script.py", []project.Param{{"empty", ""}}, "python 'my script.py' --empty ''"},
	}
	for _, tt := range tests {
		ep, err := p.EntryPoint(tt.entry, "/bin/bash")
		if err != nil {
			t.Fatal(err)
		}
		got, err := ep.Render(tt.params, cwd)
		if err != nil {
			t.Errorf("%s %v: %v", tt.entry, tt.params, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s %v:\n got %s\nwant %s", tt.entry, tt.params, got, tt.want)
		}
	}
}

func TestComputeForLogging(t *testing.T) {
	p, _ := project.Load(filepath.Join(recorded, "project"))
	ep, _ := p.EntryPoint("main", "")
	params, extra, err := ep.Compute([]project.Param{{"extra", "7"}, {"data_file", "no-such.csv"}, {"label", "two words it's"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []project.Param{{"data_file", "no-such.csv"}, {"alpha", "0.1"}, {"label", `'two words it'"'"'s'`}, {"epochs", "3"}}
	if !reflect.DeepEqual(params, want) || !reflect.DeepEqual(extra, []project.Param{{"extra", "7"}}) {
		t.Errorf("Compute = %v %v, want %v [extra 7]", params, extra, want)
	}
}

func TestErrors(t *testing.T) {
	cwd := t.TempDir()
	p, _ := project.Load(filepath.Join(recorded, "project"))
	main, _ := p.EntryPoint("main", "")
	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"missing parameter", func() error { return main.Validate([]project.Param{{"alpha", "0.5"}}) },
			"No value given for missing parameters: 'data_file'"},
		{"missing path", func() error { _, err := main.Render([]project.Param{{"data_file", "no-such.csv"}}, cwd); return err },
			"Got value no-such.csv for parameter data_file, but no such file or directory was found."},
		{"unknown entry point", func() error { _, err := p.EntryPoint("nope", ""); return err },
			"Could not find nope among entry points ['main', 'fail'] or interpret nope as a runnable script. Supported script file extensions: ['.py', '.sh']"},
		{"uri", func() error {
			q, err := project.Parse("MLproject", []byte("entry_points:\n  main:\n    parameters: {u: uri}\n    command: run {u}\n"))
			if err != nil {
				return err
			}
			ep, _ := q.EntryPoint("main", "")
			_, _, err = ep.Compute([]project.Param{{"u", "data.csv"}}, "")
			return err
		}, "Expected URI for parameter u but got data.csv"},
	}
	for _, tt := range tests {
		err := tt.err()
		var ee *project.ExecutionError
		if !errors.As(err, &ee) || err.Error() != tt.want {
			t.Errorf("%s: %v, want ExecutionError %q", tt.name, err, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, text string
		check      func(*project.Project) string
		wantErr    string
	}{
		{"defaults as Python writes them", `
entry_points:
  main:
    parameters:
      a: {type: float, default: 1.0}
      b: {type: float, default: 1e-3}
      c: {type: float, default: 1.5e-7}
      d: {default: yes}
      e: {default: 0x1F}
      f: {default: "007"}
      g: {default: 010}
      h: {default: 1_000}
      i: {default: .inf}
      j: {default: 12345678901234567890}
      k: {default: 1.0e+16}
      l: {default: ~}
      m: {default: 2:30}
      n: {default: Off}
    command: "x"
`, func(p *project.Project) string {
			want := map[string]string{"a": "1.0", "b": "1e-3", "c": "1.5e-07", "d": "True", "e": "31", "f": "007", "g": "8",
				"h": "1000", "i": "inf", "j": "12345678901234567890", "k": "1e+16", "m": "150", "n": "False"}
			for _, par := range p.EntryPoints[0].Parameters {
				if w, ok := want[par.Name]; ok && (par.Default != w || !par.HasDefault) {
					return par.Name + " = " + par.Default + ", want " + w
				}
				if par.Name == "l" && par.HasDefault {
					return "l: a null default is no default"
				}
			}
			return ""
		}, ""},
		{"docker_env", `
name: d
docker_env:
  image: busybox:1
  volumes: ["/a:/a"]
  environment: [["X", 1], "HOME"]
entry_points: {main: {command: "true"}}
`, func(p *project.Project) string {
			d := p.Docker
			if p.EnvType != project.EnvDocker || d.Image != "busybox:1" || len(d.Volumes) != 1 || len(d.Environment) != 2 ||
				d.Environment[0] != (project.EnvVar{Name: "X", Value: "1"}) || d.Environment[1] != (project.EnvVar{Name: "HOME", Copy: true}) {
				return "docker_env read as " + strings.ReplaceAll(strings.TrimSpace(strings.Join([]string{d.Image}, "")), "\n", " ")
			}
			return ""
		}, ""},
		{"two environments", "python_env: p.yaml\nconda_env: c.yaml\n", nil,
			"Project cannot contain multiple environment fields: {'conda_env', 'python_env'}"},
		{"docker without image", "docker_env: {volumes: [a]}\n", nil,
			"Project configuration (MLproject file) was invalid: Docker environment specified but no image attribute found."},
		{"docker volumes not strings", "docker_env: {image: x, volumes: [1]}\n", nil,
			`Project configuration (MLproject file) was invalid: Docker volumes must be a list of strings, e.g.: '["/path1/:/path1", "/path2/:/path2"])`},
		{"docker environment", "docker_env: {image: x, environment: [{a: b}]}\n", nil, "environment must be a list containing"},
		{"no command", "entry_points:\n  main:\n    parameters: {a: string}\n", nil, "MLproject:2: entry point 'main' has no command"},
		{"unknown field in the command", "entry_points:\n  main:\n    command: run {b}\n", nil,
			"MLproject:3: entry point 'main': the command refers to {b}, which is not one of its parameters"},
		{"positional field", "entry_points:\n  main:\n    command: run {0}\n", nil, "is not a parameter name"},
		{"lone brace", "entry_points:\n  main:\n    command: run }\n", nil, "single '}'"},
		{"escaped braces", "entry_points:\n  main:\n    parameters: {a: string}\n    command: echo {{a}} {a}\n",
			func(p *project.Project) string {
				got, err := p.EntryPoints[0].Render([]project.Param{{"a", "x y"}}, "")
				if err != nil || got != "echo {a} 'x y'" {
					return "rendered " + got
				}
				return ""
			}, ""},
		{"parameter without type", "entry_points:\n  main:\n    parameters: {a: }\n    command: x\n", nil, "MLproject:3: entry point 'main': parameter 'a' needs a type"},
		{"not a mapping", "- a\n- b\n", nil, "MLproject:1: the MLproject file must be a mapping"},
		{"bad YAML", "entry_points: [\n", nil, "MLproject: "},
		{"databricks", "databricks_spark_job: {python_file: a.py}\n", nil, "not on Databricks"},
		{"later entry point wins", "entry_points:\n  a: {command: one}\n  b: {command: two}\n  a: {command: three}\n",
			func(p *project.Project) string {
				if len(p.EntryPoints) != 2 || p.EntryPoints[0].Name != "a" || p.EntryPoints[0].Command != "three" {
					return "entry points not as a Python dict keeps them"
				}
				return ""
			}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := project.Parse("MLproject", []byte(tt.text))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse: %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(p); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestLoadEnvironmentFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mlproject"), []byte("python_env: missing.yaml\n"), 0o644)
	if _, err := project.Load(dir); err == nil || err.Error() != "Project specified python_env file "+filepath.Join(dir, "missing.yaml")+", but no such file was found." {
		t.Errorf("Load: %v", err)
	}
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, "conda.yaml"), []byte("name: x\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "run.py"), []byte(""), 0o644)
	p, err := project.Load(dir) // no MLproject: a project of scripts
	if err != nil || p.File != "" || p.EnvType != project.EnvConda || len(p.EntryPoints) != 0 {
		t.Errorf("Load = %+v, %v", p, err)
	}
}

func TestQuote(t *testing.T) {
	tests := map[string]string{
		"":                 "''",
		"abc":              "abc",
		"a-b_c.d/e:f,g=h@": "a-b_c.d/e:f,g=h@",
		"two words":        "'two words'",
		"it's":             `'it'"'"'s'`,
		"$HOME":            "'$HOME'",
		"é":                "'é'",
		"a\nb":             "'a\nb'",
	}
	for in, want := range tests {
		if got := project.Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseParams(t *testing.T) {
	got, err := project.ParseParams([]string{"a=1", "b=x=y", "c="})
	if err != nil || !reflect.DeepEqual(got, []project.Param{{"a", "1"}, {"b", "x=y"}, {"c", ""}}) {
		t.Errorf("ParseParams = %v, %v", got, err)
	}
	for _, bad := range [][]string{{"a"}, {"a=1", "a=2"}} {
		if _, err := project.ParseParams(bad); err == nil {
			t.Errorf("ParseParams(%q) accepted", bad)
		}
	}
	if _, err := project.ParseParams([]string{"novalue"}); err.Error() != "Invalid format for -P parameter: 'novalue'. Use -P name=value." {
		t.Errorf("error %q", err)
	}
	if _, err := project.ParseParams([]string{"a=1", "a=2"}); err.Error() != "Repeated parameter: 'a'" {
		t.Errorf("error %q", err)
	}
}
