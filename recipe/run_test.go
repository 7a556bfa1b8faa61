package recipe

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/server/servertest"
)

// userRecipe writes a recipe of user steps only: prep copies its input to
// its output, train "trains" (writes an MLmodel) unless FAIL_TRAIN is set,
// slow sleeps. Every run of an entry point appends its name to count.log
// outside the recipe, so the test sees which steps really ran.
func userRecipe(t testing.TB) (dir, counts string) {
	t.Helper()
	dir, counts = t.TempDir(), t.TempDir()
	files := map[string]string{
		"MLproject": `name: t
entry_points:
  prep:
    command: "bash step.sh prep"
  train:
    parameters: {alpha: {type: float, default: 0.5}}
    command: "bash step.sh train {alpha}"
  slow:
    command: "sleep 30"
`,
		"step.sh": `set -e
echo "$1" >> "$COUNT_DIR/count.log"
case "$1" in
  prep) cp data/in.csv "$BERTH_RECIPE_OUTPUT/prepared.csv" ;;
  train)
    if [ -e "$COUNT_DIR/fail" ]; then echo "training failed" >&2; exit 3; fi
    mkdir -p "$BERTH_RECIPE_OUTPUT/model"; echo "alpha: $2" > "$BERTH_RECIPE_OUTPUT/model/MLmodel" ;;
esac
`,
		"data/in.csv": "a,target\n1,0\n",
		"recipe.yaml": `recipe: test/v1
experiment: recipes-test
model_name: m
target_col: target
model_type: classifier
steps:
  prep:
    entry_point: prep
    inputs: [data/in.csv]
  train:
    entry_point: train
    parameters: {alpha: "{{ ALPHA }}"}
    model: model
`,
		"profiles/local.yaml": "ALPHA: 0.1\n",
		"profiles/other.yaml": "ALPHA: 0.2\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, counts
}

func ran(t *testing.T, counts string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(counts, "count.log"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(counts, "count.log"))
	return strings.Join(strings.Fields(string(b)), ",")
}

func load(t *testing.T, dir, profile string) *Recipe {
	t.Helper()
	r, err := Load(dir, profile)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func statuses(cards []*Card) string {
	var s []string
	for _, c := range cards {
		st := c.Status
		if c.Cached {
			st = "cached"
		}
		s = append(s, c.Step+"="+st)
	}
	return strings.Join(s, ",")
}

// TestRunCaching: a second run re-uses every step; a change re-runs only
// the steps it reaches; a failed step leaves no cache entry and the next
// run re-runs it; --step stops early.
func TestRunCaching(t *testing.T) {
	ts := servertest.New(t)
	dir, counts := userRecipe(t)
	env := append(os.Environ(), "COUNT_DIR="+counts)
	rn := NewRunner(WithRegistry(ts.URL, ""), WithEnv(env))
	ctx := context.Background()
	run := func(profile, until string) ([]*Card, error) { return rn.Run(ctx, load(t, dir, profile), until) }

	cards, err := run("local", "")
	if err != nil || statuses(cards) != "prep=ok,train=ok" || ran(t, counts) != "prep,train" {
		t.Fatalf("first run: %s, %v", statuses(cards), err)
	}
	if len(cards[1].RunIDs) != 1 || cards[1].Values["model"] != "model" {
		t.Fatalf("train card: %+v", cards[1])
	}
	cards, err = run("local", "")
	if err != nil || statuses(cards) != "prep=cached,train=cached" || ran(t, counts) != "" {
		t.Fatalf("second run: %s, %v", statuses(cards), err)
	}
	// A profile value reaches train only.
	cards, err = run("other", "")
	if err != nil || statuses(cards) != "prep=cached,train=ok" || ran(t, counts) != "train" {
		t.Fatalf("other profile: %s, %v", statuses(cards), err)
	}
	// Data read by prep re-runs prep and, through its key, train.
	if err := os.WriteFile(filepath.Join(dir, "data/in.csv"), []byte("a,target\n2,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if cards, err = run("local", "prep"); err != nil || statuses(cards) != "prep=ok" || ran(t, counts) != "prep" {
		t.Fatalf("--step prep: %s, %v", statuses(cards), err)
	}
	// A failing train: no entry, last.json says why, prep stays cached.
	if err := os.WriteFile(filepath.Join(counts, "fail"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cards, err = run("local", "")
	if !errors.Is(err, ErrStep) || statuses(cards) != "prep=cached,train=failed" || ran(t, counts) != "train" {
		t.Fatalf("failing train: %s, %v", statuses(cards), err)
	}
	rec := load(t, dir, "local")
	if last := rec.LastCard(rec.Steps[1]); last == nil || last.Status != "failed" || !strings.Contains(last.Error, "failed") || len(last.RunIDs) != 1 {
		t.Fatalf("last card of the failed train: %+v", last)
	}
	entries, _ := filepath.Glob(filepath.Join(dir, ".berth-recipe/steps/train/*/card.json"))
	if len(entries) != 2 { // local's and other's, not the failed one's
		t.Fatalf("train entries after a failure: %v", entries)
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, ".berth-recipe/steps/*/tmp-*"))
	if len(tmps) != 0 {
		t.Fatalf("left behind: %v", tmps)
	}
	cards, err = run("local", "")
	if !errors.Is(err, ErrStep) || ran(t, counts) != "train" {
		t.Fatalf("a failed step is not cached: %s, %v", statuses(cards), err)
	}
	os.Remove(filepath.Join(counts, "fail"))
	if cards, err = run("local", ""); err != nil || statuses(cards) != "prep=cached,train=ok" {
		t.Fatalf("after the fix: %s, %v", statuses(cards), err)
	}
	// Code: editing the project's script re-runs both user steps.
	f, _ := os.OpenFile(filepath.Join(dir, "step.sh"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("# edited\n")
	f.Close()
	ran(t, counts)
	if cards, err = run("local", ""); err != nil || statuses(cards) != "prep=ok,train=ok" {
		t.Fatalf("after a code edit: %s, %v", statuses(cards), err)
	}
	if _, err := run("local", "nope"); err == nil || !strings.Contains(err.Error(), `no step "nope" in the recipe (steps: prep, train)`) {
		t.Fatalf("unknown --step: %v", err)
	}
}

// TestRunTimeout: a hung step is stopped at its timeout, marked failed
// with the reason, and cached nowhere.
func TestRunTimeout(t *testing.T) {
	ts := servertest.New(t)
	dir, counts := userRecipe(t)
	if err := os.WriteFile(filepath.Join(dir, "recipe.yaml"), []byte(`model_name: m
target_col: target
model_type: classifier
steps:
  slow:
    entry_point: slow
    timeout: 1s
`), 0o644); err != nil {
		t.Fatal(err)
	}
	rn := NewRunner(WithRegistry(ts.URL, ""), WithEnv(append(os.Environ(), "COUNT_DIR="+counts)))
	start := time.Now()
	cards, err := rn.Run(context.Background(), load(t, dir, ""), "")
	if err == nil || !strings.Contains(err.Error(), "timed out after 1s") || time.Since(start) > 20*time.Second {
		t.Fatalf("hung step: %v after %s", err, time.Since(start))
	}
	if len(cards) != 1 || cards[0].Status != "failed" {
		t.Fatalf("cards: %+v", cards)
	}
	entries, _ := filepath.Glob(filepath.Join(dir, ".berth-recipe/steps/slow/*/card.json"))
	if len(entries) != 0 {
		t.Fatalf("a timed-out step was cached: %v", entries)
	}
}

// BenchmarkCachedRun is the target: a cached recipe run with
// nothing changed (≤ 1 s). Each iteration loads the recipe, hashes its
// inputs and code, and finds every step cached.
func BenchmarkCachedRun(b *testing.B) {
	ts := servertest.New(b)
	dir, counts := userRecipe(b)
	rn := NewRunner(WithRegistry(ts.URL, ""), WithEnv(append(os.Environ(), "COUNT_DIR="+counts)))
	ctx := context.Background()
	r, err := Load(dir, "local")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := rn.Run(ctx, r, ""); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		r, err := Load(dir, "local")
		if err != nil {
			b.Fatal(err)
		}
		cards, err := rn.Run(ctx, r, "")
		if err != nil || statuses(cards) != "prep=cached,train=cached" {
			b.Fatalf("%s, %v", statuses(cards), err)
		}
	}
}
