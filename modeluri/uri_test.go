package modeluri

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	good := map[string]URI{
		"models:/iris/3":            {Name: "iris", Kind: KindVersion, Version: "3"},
		"models:/iris@champion":     {Name: "iris", Kind: KindAlias, Alias: "champion"},
		"models:/iris/latest":       {Name: "iris", Kind: KindLatest},
		"models:/iris/LATEST":       {Name: "iris", Kind: KindLatest},
		"models:/iris/production":   {Name: "iris", Kind: KindStage, Stage: "Production"},
		"models:/iris/Staging":      {Name: "iris", Kind: KindStage, Stage: "Staging"},
		"models:/my model.v2/12":    {Name: "my model.v2", Kind: KindVersion, Version: "12"},
		"models:/iris-conf@prod-eu": {Name: "iris-conf", Kind: KindAlias, Alias: "prod-eu"},
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if again, err := Parse(got.String()); err != nil || again != got {
			t.Errorf("Parse(%q.String()) = %+v, %v", in, again, err)
		}
	}
	bad := map[string]string{
		"iris":                  "must start with",
		"models:iris/1":         "must start with",
		"models:/":              "no model name",
		"models:/iris":          "no version",
		"models:/iris/":         "expected one version",
		"models:/iris/1/2":      "expected one version",
		"models:/iris/0":        "not a version number",
		"models:/iris/-1":       "not a version number",
		"models:/iris/01":       "not a version number",
		"models:/iris/champion": "not a version number",
		"models:/@champion":     "name before '@'",
		"models:/a/b@champion":  "name before '@'",
		"models:/iris@":         "alias after '@'",
		"models:/iris@a@b":      "alias after '@'",
	}
	for in, want := range bad {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", in, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"prompts:/qa@production", "prompts:/qa/2", "prompts:/qa/latest", "models:/iris/3", "models:/iris@champion", "models:/iris/latest", "models:/iris/Production", "models:/a/b/c", "models:/@", "models:/m-0123abcd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			return
		}
		if u.Name == "" || strings.ContainsAny(u.Name, "/@") {
			t.Fatalf("Parse(%q) gave name %q", s, u.Name)
		}
		again, err := Parse(u.String())
		if err != nil || again != u {
			t.Fatalf("Parse(%q) = %+v, but its String %q parses to %+v, %v", s, u, u.String(), again, err)
		}
	})
}

func TestParseLoggedModel(t *testing.T) {
	const id = "m-12ac26ef8cb442e7bc273e706f9cbc64"
	got, err := Parse("models:/" + id)
	want := URI{Name: id, Kind: KindLoggedModel, ModelID: id}
	if err != nil || got != want {
		t.Errorf("Parse(models:/%s) = %+v, %v; want %+v", id, got, err, want)
	}
	if got.String() != "models:/"+id {
		t.Errorf("String() = %q", got.String())
	}
	// A registered model whose name starts with m- keeps its forms.
	if u, err := Parse("models:/m-model/2"); err != nil || u.Kind != KindVersion || u.Name != "m-model" {
		t.Errorf("Parse(models:/m-model/2) = %+v, %v", u, err)
	}
	for _, bad := range []string{"models:/m-", "models:/m-XYZ", "models:/m-12 34", "models:/m-g1"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "logged model id") {
			t.Errorf("Parse(%q) error = %v, want one about the logged model id", bad, err)
		}
	}
}

func TestParsePrompt(t *testing.T) {
	good := map[string]URI{
		"prompts:/qa/2":          {Name: "qa", Kind: KindVersion, Version: "2", Prompt: true},
		"prompts:/qa@production": {Name: "qa", Kind: KindAlias, Alias: "production", Prompt: true},
		"prompts:/qa@latest":     {Name: "qa", Kind: KindAlias, Alias: "latest", Prompt: true},
		"prompts:/m-abc/1":       {Name: "m-abc", Kind: KindVersion, Version: "1", Prompt: true},
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("Parse(%q).String() = %q", in, got.String())
		}
		if !IsModelURI(in) {
			t.Errorf("IsModelURI(%q) = false", in)
		}
	}
	bad := map[string]string{
		"prompts:/":            "no prompt name",
		"prompts:/qa":          "no version or alias",
		"prompts:/qa/latest":   "not a version number",
		"prompts:/qa/Staging":  "not a version number",
		"prompts:/qa/0":        "not a version number",
		"prompts:/qa/1/2":      "expected one version",
		"prompts:/@production": "name before '@'",
		"prompts:/qa@":         "alias after '@'",
		"prompts:/qa@a/b":      "alias after '@'",
	}
	for in, want := range bad {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "prompts:/NAME@ALIAS") {
			t.Errorf("Parse(%q) error = %v, want one containing %q and the forms", in, err, want)
		}
	}
	if IsModelURI("prompts:qa/1") || IsModelURI("./prompts:/x") {
		t.Error("IsModelURI takes a path for a prompt URI")
	}
}
