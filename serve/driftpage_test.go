package serve_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/berthml/berth/chart"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/internal/browsertest"
	"github.com/berthml/berth/internal/iristest"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/serve"
)

// driftPageServer serves iris from dir with windows of the whole data set
// and closes one per scale, sending iris with petal_length × scale.
func driftPageServer(t *testing.T, dir string, scales ...float64) *testServer {
	t.Helper()
	rows := iristest.Rows(t)
	ts := newDriftServer(t, dir, serve.WithDriftOptions(drift.WithWindowRows(len(rows)), drift.WithWindowTime(0)))
	send := func(scale float64) {
		t.Helper()
		data := make([]string, 0, 4*len(rows))
		for i := range rows {
			for j, v := range rows[(i*7)%len(rows)] {
				if j == 2 {
					v *= scale
				}
				data = append(data, strconv.FormatFloat(v, 'f', -1, 64))
			}
		}
		r := post(t, ts.URL+"/v2/models/iris/infer", fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 4], "datatype": "FP32", "data": [%s]}]}`,
			len(rows), strings.Join(data, ",")))
		if r.status != http.StatusOK {
			t.Fatalf("infer = %d: %s", r.status, r.body)
		}
	}
	for _, scale := range scales {
		send(scale)
	}
	return ts
}

// pageScales close four windows: iris twice (ok), then petal_length × 1.3
// twice (a warning at the first drifting window, drift at the second).
var pageScales = []float64{1, 1, 1.3, 1.3}

func TestDriftPage(t *testing.T) {
	ts := driftPageServer(t, iristest.ModelWithReference(t), pageScales...)
	a := getDrift(t, ts.URL+"/v2/models/iris/drift")
	// One feature of four drifts: the model warns at the first such
	// window and drifts at the second in a row (drift.DefaultPersistence).
	var model, petal []drift.Status
	for _, w := range a.History {
		model = append(model, w.Status)
		for _, f := range w.Features {
			if f.Feature == "petal_length" {
				petal = append(petal, f.Status)
			}
		}
	}
	if fmt.Sprint(model, petal) != "[ok ok warning drift] [ok ok drift drift]" {
		t.Fatalf("window statuses = %v, petal_length's %v", model, petal)
	}

	r := do(t, http.MethodGet, ts.URL+"/drift/iris", "", nil)
	if r.status != http.StatusOK || r.contentType != "text/html; charset=utf-8" {
		t.Fatalf("GET /drift/iris = %d %q: %s", r.status, r.contentType, r.body)
	}
	page := string(r.body)
	for _, f := range iristest.Features {
		if !strings.Contains(page, `id="f-`+f+`"`) || !strings.Contains(page, `aria-label="histogram of `+f+`: `) ||
			!strings.Contains(page, `aria-label="drift statistics of `+f+` for windows `) {
			t.Errorf("the page has no section, histogram or timeline of %s", f)
		}
	}
	if n := strings.Count(page, "<svg "); n != 2*len(iristest.Features) {
		t.Errorf("%d SVGs, want a histogram and a timeline for each of %d features", n, len(iristest.Features))
	}
	if n := strings.Count(page, `class="timeline"`); n != len(iristest.Features) {
		t.Errorf("%d timelines, want %d", n, len(iristest.Features))
	}
	// Four windows: four PSI points per timeline; petal_length's last two drift.
	if n := strings.Count(page, `class="point psi `); n != 4*len(iristest.Features) {
		t.Errorf("%d PSI points, want %d", n, 4*len(iristest.Features))
	}
	for _, w := range []string{"Drift of iris v1", `class="status drift">drift`, `class="point psi drift"`,
		"drift: 1 of 4 features after Benjamini–Hochberg at q=0.01, 2 consecutive drifting windows (drift from 2)", "window 4, 150 rows", `href="/drift"`, `http-equiv="refresh"`} {
		if !strings.Contains(page, w) {
			t.Errorf("the page lacks %q", w)
		}
	}

	idx := do(t, http.MethodGet, ts.URL+"/drift", "", nil)
	if idx.status != http.StatusOK || idx.contentType != "text/html; charset=utf-8" {
		t.Fatalf("GET /drift = %d %q: %s", idx.status, idx.contentType, idx.body)
	}
	for _, w := range []string{`<a href="/drift/iris">iris</a>`, `<td class="drift">drift</td><td>4</td>`, "<td>plain</td>", "no reference"} {
		if !strings.Contains(string(idx.body), w) {
			t.Errorf("the index lacks %q:\n%s", w, idx.body)
		}
	}

	for _, path := range []string{"/drift/plain", "/drift/nope"} {
		r := do(t, http.MethodGet, ts.URL+path, "", nil)
		if r.status != http.StatusNotFound || !strings.HasPrefix(r.contentType, "application/json") || r.json(t)["error"] == nil {
			t.Errorf("GET %s = %d %q: %s", path, r.status, r.contentType, r.body)
		}
	}
}

// A reference with the model's outputs: the page draws every column the
// report lists, inputs and outputs alike.
func TestDriftPageOutputs(t *testing.T) {
	ortest.Init(t)
	dir := iristest.ModelWithReference(t)
	iristest.WithOutputs(t, dir)
	ts := driftPageServer(t, dir, 1, 1.3)
	var a struct {
		Last struct {
			Features []struct {
				Feature string `json:"feature"`
				Output  bool   `json:"output"`
			} `json:"features"`
		} `json:"last"`
	}
	if err := json.Unmarshal(do(t, http.MethodGet, ts.URL+"/v2/models/iris/drift", "", nil).body, &a); err != nil {
		t.Fatal(err)
	}
	feats := a.Last.Features
	if len(feats) <= len(iristest.Features) || !feats[len(feats)-1].Output {
		t.Fatalf("the last report lists %+v: no outputs", feats)
	}
	t.Logf("columns: %+v", feats)
	page := string(do(t, http.MethodGet, ts.URL+"/drift/iris", "", nil).body)
	for _, f := range feats {
		if !strings.Contains(page, `aria-label="histogram of `+f.Feature+`: `) || !strings.Contains(page, `aria-label="drift statistics of `+f.Feature+` for windows `) {
			t.Errorf("the page has no histogram or timeline of %s (output %v)", f.Feature, f.Output)
		}
	}
	if n := strings.Count(page, `<small class="none">output</small>`); n != 2*(len(feats)-len(iristest.Features)) {
		t.Errorf("%d output marks, want one in the table and one in the heading of each output", n)
	}
	if n, tl := strings.Count(page, "<svg "), strings.Count(page, `class="timeline"`); n != 2*len(feats) || tl != len(feats) {
		t.Errorf("%d SVGs and %d timelines for %d columns", n, tl, len(feats))
	}
}

func TestDriftPageNoWindowAndAuth(t *testing.T) {
	const pageToken = "s3cret"
	ts := newDriftServer(t, iristest.ModelWithReference(t), serve.WithToken(pageToken))
	for _, path := range []string{"/drift", "/drift/iris"} {
		if r := do(t, http.MethodGet, ts.URL+path, "", nil); r.status != http.StatusUnauthorized {
			t.Errorf("GET %s without the token = %d", path, r.status)
		}
	}
	r := do(t, http.MethodGet, ts.URL+"/drift/iris", "", nil, "Authorization", "Bearer "+pageToken)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "No window has closed yet") {
		t.Fatalf("GET /drift/iris before a window = %d: %s", r.status, r.body)
	}
	if n, tl := strings.Count(string(r.body), "<svg "), strings.Count(string(r.body), `class="timeline"`); n != len(iristest.Features) || tl != 0 {
		t.Errorf("before a window: %d SVGs and %d timelines, want %d reference histograms only", n, tl, len(iristest.Features))
	}
}

// The colours the screenshot is searched for: the palette's, drawn
// opaque (package chart draws the bars side by side).
var (
	referenceBar = browsertest.Hex(chart.ColorReference)
	currentBar   = browsertest.Hex(chart.ColorCurrent)
	psiLine      = browsertest.Hex(chart.ColorPSI)
)

// TestDriftPageChromium renders the live page in headless Chromium, at
// 1280 px and on a phone, and checks in the screenshots' pixels that the
// charts are drawn, in the DOM that every feature has its SVGs, and that
// the page logs no console error.
func TestDriftPageChromium(t *testing.T) {
	ts := driftPageServer(t, iristest.ModelWithReference(t), pageScales...)
	url := ts.URL + "/drift/iris"
	for _, c := range []struct {
		name string
		opts []browsertest.Option
	}{
		{"desktop", []browsertest.Option{browsertest.WithWindowSize(1280, 2000)}},
		{"phone", []browsertest.Option{browsertest.WithMobileViewport()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := browsertest.New(t, c.opts...)
			p := b.Open(url)
			p.WaitVisible("svg.timeline")
			if n, want := p.Count("svg"), 2*len(iristest.Features); n != want {
				t.Errorf("the page has %d svg elements, want %d", n, want)
			}
			for _, sel := range []string{"svg polyline", "svg circle", "svg rect"} {
				if p.Count(sel) == 0 {
					t.Errorf("the rendered page has no %s", sel)
				}
			}
			shot := p.Screenshot("drift-page-iris")
			ref := browsertest.CountColor(t, shot, referenceBar, 12)
			cur := browsertest.CountColor(t, shot, currentBar, 12)
			psi := browsertest.CountColor(t, shot, psiLine, 12)
			t.Logf("pixels: reference bars %d, current bars %d, PSI line %d", ref, cur, psi)
			for _, k := range []struct {
				name   string
				n, min int
			}{{"reference-bar", ref, 2000}, {"current-bar", cur, 2000}, {"PSI-line", psi, 300}} {
				if k.n < k.min {
					t.Errorf("%d %s pixels, want at least %d: is the chart drawn?", k.n, k.name, k.min)
				}
			}
			if c.name == "phone" {
				var overflow bool
				p.Eval(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow)
				if overflow {
					t.Error("the page scrolls sideways on a 390 px screen")
				}
			}
			p.AssertNoConsoleErrors()
		})
	}
}
