package chart_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/chart"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// svgElements decodes an SVG fragment as XML and counts its elements by
// name and by name.class ("circle.point psi ok").
func svgElements(t *testing.T, frag string) map[string]int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(frag))
	n := map[string]int{}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, frag)
		}
		if se, ok := tok.(xml.StartElement); ok {
			n[se.Name.Local]++
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					n[se.Name.Local+"."+a.Value]++
				}
			}
		}
	}
	return n
}

// countPrefix sums the counts of keys starting with prefix.
func countPrefix(n map[string]int, prefix string) int {
	var c int
	for k, v := range n {
		if strings.HasPrefix(k, prefix) {
			c += v
		}
	}
	return c
}

func fp(v float64) *float64 { return &v }

// refXC profiles x = 0..999 (numeric) and c cycling a, b, c
// (categorical); the external tests reach it as RefXC.
func refXC(t *testing.T) *drift.Profile {
	t.Helper()
	b := drift.NewBuilder([]drift.Column{{Name: "x", Type: flavors.ColDouble}, {Name: "c", Type: flavors.ColString}})
	xs, cs := make([]float64, 1000), make([]string, 1000)
	for i := range xs {
		xs[i], cs[i] = float64(i), []string{"a", "b", "c"}[i%3]
	}
	if err := b.AddFloats("x", xs); err != nil {
		t.Fatal(err)
	}
	if err := b.AddStrings("c", cs); err != nil {
		t.Fatal(err)
	}
	p, err := b.Profile()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// monitorHistory closes n windows of 1000 rows on a monitor of refXC,
// the ones from drifted on with x stretched, and returns the monitor.
func monitorHistory(t *testing.T, n, drifted int) *drift.Monitor {
	t.Helper()
	at := time.Date(2026, 11, 28, 7, 0, 0, 0, time.UTC)
	m, err := drift.NewMonitor(refXC(t), drift.WithWindowRows(1000), drift.WithWindowTime(0),
		drift.WithClock(func() time.Time { at = at.Add(time.Second); return at }))
	if err != nil {
		t.Fatal(err)
	}
	x, c := m.Feature("x"), m.Feature("c")
	for w := range n {
		scale := 1.0
		if w >= drifted {
			scale = 1.5
		}
		m.Record(1000, func(r drift.Recorder) {
			for i := range 1000 {
				r.Float(x, float64((i*7)%1000)*scale)
				r.String(c, []string{"a", "b", "c"}[i%3])
			}
		})
	}
	return m
}

func TestTimelineSVG(t *testing.T) {
	window := func(n int64, psi, ks, js *float64, s drift.Status) drift.WindowResult {
		return drift.WindowResult{Window: n, Status: s, Features: []drift.FeatureScore{
			{Feature: "f", PSI: psi, KS: ks, JS: js, Status: s},
			{Feature: "other", PSI: fp(9), Status: drift.StatusDrift},
		}}
	}
	sixty := make([]drift.WindowResult, 60)
	for i := range sixty {
		st := drift.StatusOK
		if i >= 40 {
			st = drift.StatusDrift
		}
		sixty[i] = window(int64(i+41), fp(float64(i)/20), fp(float64(i)/100), fp(0.05), st)
	}
	nan := math.NaN()
	for _, c := range []struct {
		name             string
		windows          []drift.WindowResult
		psi, ks, js      int // points per series
		psiLines, ksLine int // polylines
	}{
		{"one window", []drift.WindowResult{window(1, fp(0.01), fp(0.02), fp(0.03), drift.StatusOK)}, 1, 1, 1, 0, 0},
		{"nil statistics", []drift.WindowResult{window(1, nil, nil, nil, drift.StatusOK), window(2, nil, fp(0.2), nil, drift.StatusOK)}, 0, 1, 0, 0, 0},
		{"NaN and Inf", []drift.WindowResult{window(1, &nan, fp(math.Inf(1)), fp(0.1), drift.StatusOK), window(2, fp(0.3), fp(0.2), fp(0.1), drift.StatusDrift)}, 1, 1, 2, 0, 0},
		{"a gap", []drift.WindowResult{
			window(1, fp(0.01), fp(0.1), fp(0.1), drift.StatusOK), window(2, fp(0.02), fp(0.1), fp(0.1), drift.StatusOK),
			window(3, nil, fp(0.1), fp(0.1), drift.StatusOK),
			window(4, fp(0.3), fp(0.1), fp(0.1), drift.StatusDrift), window(5, fp(0.4), fp(0.1), fp(0.1), drift.StatusDrift),
		}, 4, 5, 5, 2, 1},
		{"feature missing from a window", []drift.WindowResult{window(1, fp(0.01), fp(0.1), fp(0.1), drift.StatusOK), {Window: 2}}, 1, 1, 1, 0, 0},
		{"60 windows", sixty, 60, 60, 60, 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			svg := string(chart.FeatureTimeline("f", 0, c.windows, drift.DefaultThresholds()).SVG())
			n := svgElements(t, svg)
			for _, s := range []struct {
				class string
				want  int
			}{{"psi", c.psi}, {"ks", c.ks}, {"js", c.js}} {
				if got := countPrefix(n, "circle.point "+s.class+" "); got != s.want {
					t.Errorf("%d %s points, want %d", got, s.class, s.want)
				}
			}
			if got := n["polyline.line psi"]; got != c.psiLines {
				t.Errorf("%d PSI polylines, want %d", got, c.psiLines)
			}
			if got := n["polyline.line ks"]; got != c.ksLine {
				t.Errorf("%d KS polylines, want %d", got, c.ksLine)
			}
			if n["line.threshold warning"] != 1 || n["line.threshold drift"] != 1 || n["g.legend"] != 1 {
				t.Errorf("thresholds or legend missing: %v", n)
			}
			if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
				t.Errorf("the SVG holds NaN or Inf:\n%s", svg)
			}
		})
	}
	if got := countPrefix(svgElements(t, string(chart.FeatureTimeline("f", 0, sixty, drift.DefaultThresholds()).SVG())), "circle.point psi drift"); got != 20 {
		t.Errorf("%d drift-coloured PSI points over 60 windows, want 20", got)
	}
	if got := chart.FeatureTimeline("f", 0, nil, drift.DefaultThresholds()).SVG(); strings.Contains(string(got), "<svg") {
		t.Errorf("a timeline of no windows = %s", got)
	}
}

// svgs returns the <svg> fragments of an HTML page.
func svgs(page string) []string {
	return regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(page, -1)
}

func TestWritePage(t *testing.T) {
	ref := refXC(t)
	nilStats := drift.WindowResult{Window: 1, Rows: 10, Status: drift.StatusOK, Features: []drift.FeatureScore{{Feature: "x", Status: drift.StatusOK}, {Feature: "c", Status: drift.StatusOK}}}
	for _, c := range []struct {
		name      string
		history   []drift.WindowResult
		timelines int
		points    int // PSI points per timeline
		want      []string
	}{
		{"no window", nil, 0, 0, []string{"No window has closed yet", "no window yet", "Window 1 is filling"}},
		{"one window", monitorHistory(t, 1, 1).History(), 2, 1, []string{`class="status ok">ok`, "window 1, 1000 rows",
			`<p class="rule">ok: 0 of 2 features after Benjamini–Hochberg at q=0.01, 0 consecutive drifting windows (drift from 2).</p>`,
			"once 2 windows in a row drifted"}},
		// the first drifting window warns; the second in a row drifts
		{"first drifting window", monitorHistory(t, 2, 1).History(), 2, 2, []string{`class="status warning">warning`,
			"warning: 1 of 2 features after Benjamini–Hochberg at q=0.01, 1 consecutive drifting window (drift from 2)"}},
		{"nil statistics", []drift.WindowResult{nilStats}, 2, 0, []string{"<td>–</td>"}},
		{"60 windows", monitorHistory(t, 65, 50).History(), 2, 60, []string{`class="status drift">drift`, "window 65, 1000 rows",
			"drift: 1 of 2 features after Benjamini–Hochberg at q=0.01, 15 consecutive drifting windows (drift from 2)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := chart.PageData{Model: "m<1>", Version: "3", Reference: ref, Current: drift.WindowState{Window: 1, Rows: 7},
				History: c.history, Refresh: 10 * time.Second, IndexURL: "/drift"}
			var b bytes.Buffer
			if err := chart.WritePage(&b, p); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			for _, w := range append(c.want, `<meta http-equiv="refresh" content="10">`, "m&lt;1&gt; v3", `href="/drift"`, `id="f-x"`, `id="f-c"`) {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			for _, bad := range []string{"<script", "http://", "https://"} {
				if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
					t.Errorf("the page holds %q", bad)
				}
			}
			var hists, timelines int
			for _, s := range svgs(page) {
				n := svgElements(t, s)
				switch {
				case strings.Contains(s, `class="timeline"`):
					timelines++
					if got := countPrefix(n, "circle.point psi "); got != c.points {
						t.Errorf("%d PSI points, want %d", got, c.points)
					}
				case strings.Contains(s, "histogram of"):
					hists++
					if n["rect"] == 0 {
						t.Error("a histogram without bars")
					}
				}
			}
			if hists != 2 || timelines != c.timelines {
				t.Errorf("%d histograms and %d timelines, want 2 and %d", hists, timelines, c.timelines)
			}
		})
	}
}

func TestWriteIndex(t *testing.T) {
	var b bytes.Buffer
	err := chart.WriteIndex(&b, []chart.IndexEntry{
		{Model: "iris", Version: "1", URL: "/drift/iris", Status: drift.StatusDrift, Windows: 4, Rows: 12},
		{Model: "new", Version: "2", URL: "/drift/new"},
		{Model: "plain", Version: "1", Note: "no reference"},
	})
	if err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, w := range []string{`<a href="/drift/iris">iris</a>`, `<td class="drift">drift</td><td>4</td><td>12</td>`,
		`<a href="/drift/new">new</a>`, "no window yet", `<td>plain</td>`, "no reference"} {
		if !strings.Contains(page, w) {
			t.Errorf("the index lacks %q:\n%s", w, page)
		}
	}
	b.Reset()
	if err := chart.WriteIndex(&b, nil); err != nil || !strings.Contains(b.String(), "No models") {
		t.Errorf("an empty index = %v: %s", err, b.String())
	}
}

// The page's SVG builders return trusted HTML: names in them are escaped.
func TestPageEscapes(t *testing.T) {
	var h template.HTML = chart.FeatureTimeline(`<b>&"`, 0, []drift.WindowResult{{Window: 1, Features: []drift.FeatureScore{{Feature: `<b>&"`, PSI: fp(0.1)}}}}, drift.DefaultThresholds()).SVG()
	if strings.Contains(string(h), "<b>") {
		t.Errorf("the feature name is not escaped: %s", h)
	}
	svgElements(t, string(h))
}

// An output may share its name with an input: each gets its own section
// and timeline, matched by position among the features of that name.
func TestWritePageSharedName(t *testing.T) {
	ref := &drift.Profile{Version: drift.ProfileVersion,
		Features: []drift.Feature{{Name: "y", Kind: drift.Categorical, Count: 2, Categorical: &drift.CategoricalStats{Categories: []string{"a"}, Counts: []int64{2}}}},
		Outputs:  []drift.Feature{{Name: "y", Kind: drift.Categorical, Count: 3, Categorical: &drift.CategoricalStats{Categories: []string{"0", "1", "2"}, Counts: []int64{1, 1, 1}}}},
	}
	var history []drift.WindowResult
	for w := range int64(3) {
		history = append(history, drift.WindowResult{Window: w + 1, Status: drift.StatusOK, Features: []drift.FeatureScore{
			{Feature: "y", PSI: fp(0.01), Status: drift.StatusOK},
			{Feature: "y", PSI: fp(0.5), Status: drift.StatusDrift, Output: true},
		}})
	}
	var b bytes.Buffer
	if err := chart.WritePage(&b, chart.PageData{Model: "m", Version: "1", Reference: ref, History: history}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, w := range []string{`id="f-y"`, `id="f-y-2">y <small class="none">output</small>`, `href="#f-y-2"`} {
		if !strings.Contains(page, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	var okPoints, driftPoints, bars []int
	for _, s := range svgs(page) {
		n := svgElements(t, s)
		if strings.Contains(s, `class="timeline"`) {
			okPoints, driftPoints = append(okPoints, n["circle.point psi ok"]), append(driftPoints, n["circle.point psi drift"])
		} else {
			bars = append(bars, n["rect.bar ref"])
		}
	}
	if fmt.Sprint(okPoints, driftPoints, bars) != "[3 0] [0 3] [1 3]" {
		t.Errorf("ok points %v, drift points %v, reference bars %v; want [3 0] [0 3] [1 3]", okPoints, driftPoints, bars)
	}
}
