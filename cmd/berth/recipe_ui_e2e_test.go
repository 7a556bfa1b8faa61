package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/berthml/berth/internal/browsertest"
)

// recordedRun is the run id `berth recipe run` says it recorded the recipe
// run as.
func recordedRun(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`recipe: recorded as run ([0-9a-f]{32}): \S+/#/recipes/([0-9a-f]{32})`).FindStringSubmatch(out)
	if m == nil || m[1] != m[2] {
		t.Fatalf("berth recipe run names no recorded run and UI link:\n%s", out)
	}
	return m[1]
}

// checkRecipePages opens the recipe pages of the web UI, in headless
// Chromium, for the recipe runs TestRecipeEndToEnd made through the
// binary: the cached run (every step cached, with its card, its runs and
// the registered version and alias linked) and the run a stricter
// criterion failed (register failed with the reason, what follows it
// skipped); the list of recipe runs; no console error; on a 390 px phone
// nothing is wider than the screen.
func checkRecipePages(t *testing.T, srv, cachedRun, failedRun string, stepRuns []string) {
	b := browsertest.New(t)
	open := func(t *testing.T, b *browsertest.Browser, hash string) *browsertest.Page {
		p := b.For(t).Open(srv + "/#/" + hash)
		p.WaitVisible(`#app[data-state="ready"]`)
		p.Settle()
		return p
	}
	steps := []string{"train", "evaluate", "register", "promote", "pack", "smoke"}
	checkCached := func(t *testing.T, p *browsertest.Page) {
		t.Helper()
		if h1 := p.Text("h1"); h1 != "Recipe iris" {
			t.Fatalf("h1 %q", h1)
		}
		var order []string
		p.Eval(`[...document.querySelectorAll('ol.recipe-graph li')].map((li) => li.dataset.step + ':' + li.dataset.status)`, &order)
		want := make([]string, len(steps))
		for i, s := range steps {
			want[i] = s + ":cached"
		}
		if strings.Join(order, " ") != strings.Join(want, " ") {
			t.Errorf("graph %v, want %v", order, want)
		}
		if n := p.Count(`section.recipe-card`); n != len(steps) {
			t.Errorf("%d step cards, want %d", n, len(steps))
		}
		for _, want := range []string{"data/train.csv", "accuracy_score", "0.96", "passed", "image/index.json", "berth serve"} {
			if !strings.Contains(p.Text("main"), want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		for _, id := range stepRuns {
			if p.Count(`section.recipe-card a[href="#/runs/`+id+`"]`) == 0 {
				t.Errorf("no card links run %s", id)
			}
		}
		if p.Count(`section.recipe-card[data-step="register"] a[href="#/models/iris?version=1"]`) == 0 {
			t.Error("the register card does not link version 1 of iris")
		}
		if p.Count(`section.recipe-card[data-step="promote"] a[href="#/models/iris"]`) == 0 ||
			!strings.Contains(p.Text(`section.recipe-card[data-step="promote"]`), "champion") {
			t.Error("the promote card does not link the alias champion")
		}
		if got := p.Text(`ol.recipe-graph li[data-step="train"]`); !regexp.MustCompile(`\d+\.\d\d s`).MatchString(got) {
			t.Errorf("the train step shows no duration: %q", got)
		}
		p.AssertNoConsoleErrors()
	}
	t.Run("cached run", func(t *testing.T) {
		p := open(t, b, "recipes/"+cachedRun)
		checkCached(t, p)
		p.Screenshot("recipe")
	})
	t.Run("failed run", func(t *testing.T) {
		p := open(t, b, "recipes/"+failedRun)
		var order []string
		p.Eval(`[...document.querySelectorAll('ol.recipe-graph li')].map((li) => li.dataset.step + ':' + li.dataset.status)`, &order)
		if got := strings.Join(order, " "); got != "train:cached evaluate:ok register:failed promote:skipped pack:skipped smoke:skipped" {
			t.Errorf("graph %s", got)
		}
		if !strings.Contains(p.Text(`section.recipe-card[data-step="register"]`), "did not meet the validation_criteria") {
			t.Error("the register card does not say why it failed")
		}
		p.AssertNoConsoleErrors()
	})
	t.Run("list", func(t *testing.T) {
		p := open(t, b, "recipes")
		for _, id := range []string{cachedRun, failedRun} {
			if p.Count(`table.recipes a[href="#/recipes/`+id+`"]`) != 1 {
				t.Errorf("the list does not link recipe run %s", id)
			}
		}
		if !strings.Contains(p.Text("table.recipes"), "train -> evaluate -> register -> promote -> pack -> smoke") {
			t.Errorf("the list shows no graph: %s", p.Text("table.recipes"))
		}
		p.AssertNoConsoleErrors()
	})
	t.Run("phone", func(t *testing.T) {
		pb := browsertest.New(t, browsertest.WithMobileViewport())
		for _, hash := range []string{"recipes/" + cachedRun, "recipes"} {
			p := open(t, pb, hash)
			if hash != "recipes" {
				checkCached(t, p)
			}
			var w struct{ Scroll, Inner int }
			p.Eval(`({Scroll: document.documentElement.scrollWidth, Inner: window.innerWidth})`, &w)
			if w.Scroll > w.Inner+1 {
				t.Errorf("#/%s is %d px wide on a %d px screen", hash, w.Scroll, w.Inner)
			}
			p.Screenshot("recipe-phone")
		}
	})
}
