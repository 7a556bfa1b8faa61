package ui

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestChartRoutes(t *testing.T) {
	h := Handler()
	for _, c := range []struct {
		name, query string
		status      int
		want        []string // in the body
	}{
		{"histogram", "histogram.svg?feature=petal&label=a&label=b&reference=1,3&current=3,1&current_name=window+4", 200,
			[]string{`class="bar ref"`, `class="bar cur"`, "window 4", `aria-label="histogram of petal: share of rows per bin, reference against window 4; bin a moved most`}},
		{"histogram, reference only", "histogram.svg?feature=x&reference=5", 200, []string{"reference only"}},
		{"histogram escapes", "histogram.svg?feature=%3Cscript%3E&label=%3Cb%3E&reference=1", 200, []string{"&lt;script&gt;", "&lt;b&gt;"}},
		{"timeline", "timeline.svg?feature=f&window=1,2,3&status=ok,,drift&psi=0.01,,0.4&js=0.1,0.1,0.2&psi_warning=0.1&psi_drift=0.25", 200,
			[]string{`class="point psi drift"`, `class="line js"`, `class="threshold drift"`, "windows 1 to 3"}},
		{"no bins", "histogram.svg?feature=x", 400, []string{"reference: no bins"}},
		{"bad count", "histogram.svg?reference=1,-2", 400, []string{`reference: entry 1 is "-2"`}},
		{"windows out of order", "timeline.svg?window=2,1", 400, []string{"window: entry 1"}},
		{"no windows", "timeline.svg?psi=1", 400, []string{"window: 0 windows"}},
		{"short series", "timeline.svg?window=1,2&psi=0.1", 400, []string{"psi: 1 entries for 2 windows"}},
		{"NaN", "timeline.svg?window=1&psi=NaN", 400, []string{"psi: entry 0"}},
		{"bad status", "timeline.svg?window=1&status=bad", 400, []string{"status: entry 0"}},
		{"bad threshold", "timeline.svg?window=1&psi_drift=-1", 400, []string{"psi_drift"}},
		{"long feature", "histogram.svg?reference=1&feature=" + strings.Repeat("x", 201), 400, []string{"feature: 201 characters"}},
		{"unknown chart", "pie.svg", 404, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/static/chart/"+c.query, nil))
			body := rec.Body.String()
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, body)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("the answer lacks %q:\n%.600s", w, body)
				}
			}
			if c.status == 200 {
				if ct := rec.Header().Get("Content-Type"); ct != "image/svg+xml" {
					t.Errorf("Content-Type %q", ct)
				}
				if strings.Contains(body, "<script") || strings.Contains(body, "<b>") {
					t.Error("the SVG holds markup from the query")
				}
				wellFormed(t, body)
			}
		})
	}
}

func wellFormed(t testing.TB, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed: %v\n%.400s", err, svg)
		}
	}
}

// FuzzChartQuery: any query is answered 200 with well-formed SVG that
// carries none of the query's markup, or 400; never a panic or a 5xx.
func FuzzChartQuery(f *testing.F) {
	for _, s := range []string{
		"histogram.svg?feature=a&label=x&reference=1,2&current=2,1",
		"timeline.svg?window=1,2&status=ok,drift&psi=0.1,&ks=,0.2&psi_warning=0.1&psi_drift=0.25",
		"histogram.svg?reference=,", "timeline.svg?window=9223372036854775807", "histogram.svg?label=%ff&reference=1",
	} {
		f.Add(s)
	}
	h := Handler()
	f.Fuzz(func(t *testing.T, q string) {
		u, err := url.Parse("/static/chart/" + q)
		if err != nil || !strings.HasPrefix(u.Path, "/static/chart/") {
			return
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL = u
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		switch rec.Code {
		case 200:
			body := rec.Body.String()
			if !utf8.ValidString(body) || strings.Contains(body, "<script") {
				t.Fatalf("bad SVG for %q", q)
			}
			wellFormed(t, body)
		case 400, 404:
		default:
			t.Fatalf("status %d for %q", rec.Code, q)
		}
	})
}
