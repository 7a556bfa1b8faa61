package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/internal/podmantest"
)

// debianPython is the interpreter the scaffolded train step runs: Debian's,
// whose python3-sklearn and python3-onnx it imports.
func debianPython(t *testing.T) {
	t.Helper()
	out, err := exec.Command("/usr/bin/python3", "-c", "import sklearn, onnx").CombinedOutput()
	if err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			t.Fatalf("BERTH_REQUIRE_TOOLS=1 and /usr/bin/python3 cannot import sklearn and onnx (apt-get install python3-sklearn python3-onnx): %v\n%s", err, out)
		}
		t.Skipf("/usr/bin/python3 cannot import sklearn and onnx (apt-get install python3-sklearn python3-onnx): %s", out)
	}
}

// TestRecipeEndToEnd is the done-when on the real binaries: berth
// recipe init classification, then berth recipe run against a real berth
// server goes from data to a registered, promoted, packed and smoke-tested
// model; a second run re-uses every step; inspect shows the cards with
// their runs; a changed criterion re-runs evaluate and what follows it, not
// train; the web UI shows the recorded recipe runs (checkRecipePages).
func TestRecipeEndToEnd(t *testing.T) {
	lib := ortest.Init(t)
	debianPython(t)
	bin := buildBerth(t)
	data := t.TempDir()
	registry := startSQLiteServer(t, bin, data)
	dir := filepath.Join(t.TempDir(), "iris")
	runBerth(t, bin, "recipe", "init", "classification", "-C", dir)
	env := append(os.Environ(), "BERTH_ORT_LIB="+lib, "BERTH_CACHE_DIR="+filepath.Join(data, "cache"), "BERTH_REGISTRY_URI="+registry)
	recipe := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"recipe"}, args...)...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("berth recipe %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := recipe("run")
	for _, step := range []string{"train", "evaluate", "register", "promote", "pack", "smoke"} {
		if !regexpMatch(`(?m)^`+step+`\s+\S+\s+ok\s`, out) {
			t.Fatalf("first run: step %s did not run ok:\n%s", step, out)
		}
	}
	// The registry holds version 1 under @champion.
	show := runBerth(t, bin, "models", "show", "iris", "--registry-uri", registry, "-o", "json")
	if !strings.Contains(show, `"champion"`) {
		t.Fatalf("no @champion after the recipe: %s", show)
	}
	start := time.Now()
	out = recipe("run")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cached run took %s", d)
	}
	for _, step := range []string{"train", "evaluate", "register", "promote", "pack", "smoke"} {
		if !regexpMatch(`(?m)^`+step+`\s+\S+\s+cached\s`, out) {
			t.Fatalf("second run: step %s not cached:\n%s", step, out)
		}
	}
	cachedRun := recordedRun(t, out)
	ins := recipe("inspect")
	var stepRuns []string
	for _, m := range regexp.MustCompile(`(?m)^  run:     ([0-9a-f]{32})$`).FindAllStringSubmatch(ins, -1) {
		stepRuns = append(stepRuns, m[1])
	}
	if len(stepRuns) < 3 {
		t.Fatalf("inspect names %d runs, want the train, evaluation and registration runs at least:\n%s", len(stepRuns), ins)
	}
	for _, want := range []string{"graph: train -> evaluate -> register -> promote -> pack -> smoke", "value:   validation = passed",
		"metric:  accuracy_score = 0.96", "value:   model_uri = models:/iris/1", "wrote:   image/index.json",
		"value:   served_by = berth serve", "metric:  predictions = 30", "run:     "} {
		if !strings.Contains(ins, want) {
			t.Errorf("inspect lacks %q:\n%s", want, ins)
		}
	}
	// With BERTH_PODMAN=1 (as pack's image test), smoke serves the packed
	// image under podman: only smoke re-runs.
	if os.Getenv("BERTH_PODMAN") == "1" {
		env = append(env, podmantest.New(t).Config...)
		f, err := os.OpenFile(filepath.Join(dir, "recipe.yaml"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("\n    runtime: podman\n")
		f.Close()
		out = recipe("run")
		if !regexpMatch(`(?m)^pack\s+\S+\s+cached`, out) || !regexpMatch(`(?m)^smoke\s+\S+\s+ok`, out) {
			t.Fatalf("podman smoke:\n%s", out)
		}
		if ins := recipe("inspect"); !strings.Contains(ins, "served_by = the packed image under podman") || !strings.Contains(ins, "metric:  predictions = 30") {
			t.Fatalf("podman smoke card:\n%s", ins)
		}
	}
	// A stricter criterion the model misses: evaluate re-runs, train does
	// not, register refuses, and nothing after it runs.
	rp := filepath.Join(dir, "recipe.yaml")
	b, _ := os.ReadFile(rp)
	if err := os.WriteFile(rp, []byte(strings.Replace(string(b), "threshold: 0.9\n      - metric: f1_score", "threshold: 0.999\n      - metric: f1_score", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "recipe", "run")
	cmd.Dir, cmd.Env = dir, env
	o, err := cmd.CombinedOutput()
	out = string(o)
	if err == nil || !regexpMatch(`(?m)^train\s+\S+\s+cached`, out) || !regexpMatch(`(?m)^evaluate\s+\S+\s+ok`, out) ||
		!regexpMatch(`(?m)^register\s+\S+\s+failed`, out) || strings.Contains(out, "\npack") || !strings.Contains(out, "did not meet the validation_criteria") {
		t.Fatalf("stricter criterion: %v\n%s", err, out)
	}
	// The web UI shows both recorded recipe runs.
	checkRecipePages(t, registry, cachedRun, recordedRun(t, out), stepRuns)
}

func regexpMatch(expr, s string) bool { return regexp.MustCompile(expr).MatchString(s) }
