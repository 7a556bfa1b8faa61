package ui_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/berthml/berth/internal/browsertest"
)

// palette is the start of charts.js's palette: the colours of the first
// two runs.
var palette = []string{"#1f77b4", "#d62728"}

// lossChart is the chart of the loss metric.
const lossChart = `[...document.querySelectorAll(".charts .chart")].find((c) => c.querySelector(".u-title")?.textContent === "loss")`

// afterRender does action and waits until the page it leads to is
// rendered (#app's data-state turns to ready again).
func afterRender(p *browsertest.Page, action func()) {
	p.AfterAttr("#app", "data-state", "ready", action)
}

// waitReady waits for the first page of a load to be rendered.
func waitReady(p *browsertest.Page) {
	p.WaitVisible(`#app[data-state="ready"]`)
}

// goTo follows a link to hash.
func goTo(p *browsertest.Page, hash string) {
	afterRender(p, func() { p.Eval(fmt.Sprintf(`location.hash = %q`, hash), nil) })
}

// saveToken saves token in the Settings page.
func saveToken(t *testing.T, p *browsertest.Page, token string) {
	t.Helper()
	goTo(p, "#/settings")
	p.SetValue("#token", token)
	p.Submit("form.card")
	if got := p.Text("form.card > p.muted:last-child"); got != "Token saved in this browser." {
		t.Fatalf("saving the token: the page says %q", got)
	}
}

// setVersionTag submits the chosen version's tag form; on success the page
// renders again.
func setVersionTag(p *browsertest.Page, key, value string) {
	p.SetValue(`section.card input[name="key"]`, key)
	p.SetValue(`section.card input[name="value"]`, value)
	p.Eval(`(window.__tagDone = new Promise((resolve) => {
		const app = document.getElementById("app");
		let rendering = false;
		const obs = new MutationObserver((records) => {
			rendering ||= records.some((r) => r.attributeName === "data-state");
			if ((rendering && app.dataset.state === "ready") || document.querySelector("section.card .error")) { obs.disconnect(); resolve(true); }
		});
		obs.observe(app, {attributes: true, childList: true, subtree: true});
	}), true)`, nil)
	p.Submit("section.card form")
	p.Eval(`window.__tagDone`, nil)
}

// texts returns the trimmed innerText of each element the selector matches.
func texts(p *browsertest.Page, selector string) []string {
	var out []string
	p.Eval(fmt.Sprintf(`[...document.querySelectorAll(%q)].map((e) => (e.innerText ?? e.textContent).trim())`, selector), &out)
	return out
}

// cells returns the text of each cell of the first row the selector
// matches, with white space collapsed.
func cells(p *browsertest.Page, selector string) []string {
	var out []string
	p.Eval(fmt.Sprintf(`[...document.querySelector(%q).cells].map((c) => c.innerText.replace(/\s+/g, " ").trim())`, selector), &out)
	return out
}

// runNames are the names in the runs table, top to bottom.
func runNames(p *browsertest.Page) []string {
	return texts(p, "table.runs tbody td:nth-child(2)")
}

// versionRows are the model page's versions, "VERSION | ALIASES".
func versionRows(p *browsertest.Page) []string {
	var out []string
	p.Eval(`[...[...document.querySelectorAll("section")].find((s) => s.querySelector("h2")?.textContent === "Versions").querySelectorAll("tbody tr")]
		.map((r) => (r.cells[0].innerText.trim() + " | " + r.cells[1].innerText.trim()).trim())`, &out)
	return out
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(list, w) {
			return false
		}
	}
	return true
}

// assertFits fails when the page is wider than the viewport.
func assertFits(t *testing.T, p *browsertest.Page, what string) {
	t.Helper()
	var w struct{ Scroll, Inner int }
	p.Eval(`({Scroll: document.documentElement.scrollWidth, Inner: window.innerWidth})`, &w)
	if w.Scroll > w.Inner+1 {
		t.Errorf("%s is %d px wide on a %d px screen", what, w.Scroll, w.Inner)
	}
}

// assertOnlyStatus fails on any console error but the network errors of
// responses with one of the statuses, which the test caused on purpose.
func assertOnlyStatus(t *testing.T, p *browsertest.Page, statuses ...int) {
	t.Helper()
	var seen int
	for _, e := range p.ConsoleErrors() {
		ok := false
		for _, s := range statuses {
			ok = ok || (strings.HasPrefix(e, "network: ") && strings.Contains(e, fmt.Sprintf(": %d ", s)))
		}
		if !ok {
			t.Errorf("console error: %s", e)
		}
		seen++
	}
	if seen == 0 {
		t.Errorf("no response with status %v was seen", statuses)
	}
}
