package recipe

import (
	"strings"
	"testing"
	"time"
)

const goodRecipe = `recipe: classification/v1
experiment: "{{ EXP }}"
model_name: iris
target_col: target
model_type: classifier
steps:
  train:
    entry_point: train
    parameters: {data: data/train.csv}
    inputs: [data/train.csv]
    model: model
    timeout: 90s
  evaluate:
    data: data/eval.csv
    validation_criteria:
      - metric: accuracy_score
        threshold: 0.9
      - {metric: log_loss, threshold: 0.3}
  register:
  promote:
  pack:
    tag: registry.example.com/iris:1
  smoke:
    data: data/eval.csv
    min_accuracy: 0.8
`

func TestParse(t *testing.T) {
	r, err := Parse("recipe.yaml", []byte(goodRecipe), map[string]string{"EXP": "demo"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Experiment != "demo" || r.WorkDir != ".berth-recipe" || len(r.Steps) != 6 {
		t.Fatalf("parsed %+v", r)
	}
	kinds := []string{KindProject, KindEvaluate, KindRegister, KindPromote, KindPack, KindSmoke}
	for i, s := range r.Steps {
		if s.Kind != kinds[i] {
			t.Errorf("step %d %s: kind %s, want %s", i, s.Name, s.Kind, kinds[i])
		}
	}
	tr, ev, pr, pk := r.Steps[0], r.Steps[1], r.Steps[3], r.Steps[4]
	if tr.Timeout != 90*time.Second || tr.Parameters["data"] != "data/train.csv" || tr.Model != "model" || tr.Line != 7 {
		t.Errorf("train: %+v", tr)
	}
	if len(ev.ValidationCriteria) != 2 || ev.ValidationCriteria[1] != (Criterion{"log_loss", 0.3}) {
		t.Errorf("criteria: %+v", ev.ValidationCriteria)
	}
	if got := strings.Join(requireArgs(ev.ValidationCriteria), " "); got != "--require accuracy_score>=0.9 --require log_loss<=0.3" {
		t.Errorf("require args: %s", got)
	}
	if pr.Alias != "champion" || pk.Format != "image" {
		t.Errorf("defaults: alias %q, format %q", pr.Alias, pk.Format)
	}
}

func TestParseErrors(t *testing.T) {
	base := "model_name: m\ntarget_col: t\nmodel_type: classifier\n"
	for _, tc := range []struct{ name, text, want string }{
		{"not a mapping", "- a\n- b\n", "recipe.yaml:1: a recipe is a mapping"},
		{"yaml syntax", "steps: [\n", "recipe.yaml: yaml: line"},
		{"unknown top field", base + "stepz: {}\n", `recipe.yaml:4: unknown field "stepz"`},
		{"missing model_type", "model_name: m\ntarget_col: t\nsteps: {train: {entry_point: x}}\n", "model_type is required"},
		{"bad model_type", "model_name: m\ntarget_col: t\nmodel_type: ranker\nsteps: {train: {entry_point: x}}\n", `model_type must be classifier or regressor, not "ranker"`},
		{"no steps", base, "steps: is required"},
		{"steps a list", base + "steps:\n  - train\n", "recipe.yaml:5: steps: must be a mapping"},
		{"user step without entry point", base + "steps:\n  train:\n    model: m\n", "recipe.yaml:5: step train: a user step needs entry_point"},
		{"unknown step field", base + "steps:\n  train:\n    entry_point: t\n    data: x.csv\n", `recipe.yaml:7: step train: unknown field "data" for a project step`},
		{"bad timeout", base + "steps:\n  train:\n    entry_point: t\n    timeout: soon\n", `recipe.yaml:7: step train: timeout "soon"`},
		{"negative timeout", base + "steps:\n  train:\n    entry_point: t\n    timeout: -1s\n", `timeout "-1s"`},
		{"wrong type", base + "steps:\n  train:\n    entry_point: t\n    inputs: 3\n", "recipe.yaml:7: step train: inputs:"},
		{"threshold not a number", base + "steps:\n  train: {entry_point: t, model: m}\n  evaluate:\n    data: e.csv\n    validation_criteria:\n      - {metric: accuracy_score, threshold: high}\n", "recipe.yaml:9: step evaluate: validation_criteria:"},
		{"criterion without metric", base + "steps:\n  train: {entry_point: t, model: m}\n  evaluate:\n    data: e.csv\n    validation_criteria: [{threshold: 1}]\n", "validation_criteria[0]: metric is required"},
		{"evaluate without data", base + "steps:\n  train: {entry_point: t, model: m}\n  evaluate: {}\n", "recipe.yaml:6: step evaluate: data: is required"},
		{"evaluate before a model", base + "steps:\n  train: {entry_point: t}\n  evaluate: {data: e.csv}\n", "recipe.yaml:6: step evaluate needs a user step with model:"},
		{"register without evaluate", base + "steps:\n  train: {entry_point: t, model: m}\n  register:\n", "recipe.yaml:6: step register needs step evaluate"},
		{"promote without register", base + "steps:\n  train: {entry_point: t, model: m}\n  promote:\n", "step promote needs step register"},
		{"pack bad format", base + "steps:\n  train: {entry_point: t, model: m}\n  pack: {format: zip}\n", `recipe.yaml:6: step pack: format "zip"`},
		{"pack push without tag", base + "steps:\n  train: {entry_point: t, model: m}\n  pack: {format: modelpack}\n", "format modelpack pushes to a registry: give tag"},
		{"smoke runtime", base + "steps:\n  train: {entry_point: t, model: m}\n  smoke: {data: e.csv, runtime: docker}\n", `recipe.yaml:6: step smoke: runtime "docker"`},
		{"duplicate step", base + "steps:\n  train: {entry_point: t}\n  train: {entry_point: u}\n", "recipe.yaml:6: step train is given twice"},
		{"duplicate field", base + "model_name: n\nsteps: {train: {entry_point: t}}\n", "recipe.yaml:4: model_name is given twice"},
		{"bad step name", base + "steps:\n  \"tr ain\": {entry_point: t}\n", `recipe.yaml:5: step name "tr ain"`},
		{"undefined variable", base + "experiment: \"{{ NOPE }}\"\nsteps: {train: {entry_point: t}}\n", "recipe.yaml:4: variable NOPE is not defined by the profile"},
		{"expression", base + "experiment: \"{{ a + b }}\"\nsteps: {train: {entry_point: t}}\n", `recipe.yaml:4: "a + b" is not a variable name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("recipe.yaml", []byte(tc.text), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseProfile(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"ok", "A: 1\nB: two\n", ""},
		{"empty", "", ""},
		{"list", "- A\n", "profiles/p.yaml:1: a profile is a mapping"},
		{"nested", "A:\n  b: 1\n", "profiles/p.yaml:2: variable A: the value must be a scalar"},
		{"bad name", "a-b: 1\n", `profiles/p.yaml:1: "a-b" is not a variable name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars, err := ParseProfile("profiles/p.yaml", []byte(tc.text))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.name == "ok" && (vars["A"] != "1" || vars["B"] != "two") {
					t.Fatalf("vars %v", vars)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	got, err := Render("f", "a: {{X}}\nb: {{  Y }}-{{X}}\n", map[string]string{"X": "1", "Y": "2"})
	if err != nil || got != "a: 1\nb: 2-1\n" {
		t.Fatalf("%q, %v", got, err)
	}
}

// FuzzParse: no input makes Parse panic, and every refusal names the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodRecipe))
	f.Add([]byte("model_name: m\ntarget_col: t\nmodel_type: regressor\nsteps: {train: {entry_point: t, model: m}, evaluate: {data: d}}\n"))
	f.Add([]byte("steps: [\n"))
	f.Add([]byte("{{ X }}: {{"))
	f.Add([]byte("model_name: &a m\ntarget_col: *a\nmodel_type: classifier\nsteps: {pack: ~}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse("recipe.yaml", b, map[string]string{"EXP": "e", "X": "x"})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "recipe.yaml") {
				t.Fatalf("error without the file's name: %v", err)
			}
			return
		}
		if len(r.Steps) == 0 || r.ModelName == "" {
			t.Fatalf("accepted a recipe without steps or model: %+v", r)
		}
	})
}

// FuzzParseProfile: no profile makes ParseProfile panic, and every value it
// accepts is under a variable name Render accepts.
func FuzzParseProfile(f *testing.F) {
	f.Add([]byte("A: 1\nB: two\n"))
	f.Add([]byte("A:\n  b: 1\n"))
	f.Add([]byte("- x\n"))
	f.Add([]byte("A: &x 1\nB: *x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		vars, err := ParseProfile("p.yaml", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "p.yaml") {
				t.Fatalf("error without the file's name: %v", err)
			}
			return
		}
		for k := range vars {
			if _, err := Render("f", "{{ "+k+" }}", vars); err != nil {
				t.Fatalf("accepted variable %q that Render refuses: %v", k, err)
			}
		}
	})
}
