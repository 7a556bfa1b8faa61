package ui

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/berthml/berth/chart"
)

// The UI's charts are drawn by package chart, the renderer of berth
// serve's drift page and of berth drift report, so that a chart looks the
// same everywhere: the UI reads the numbers from the server's API and asks
// for the SVG with them in the query string.
//
//	GET /static/chart/histogram.svg?feature=F&label=L1&label=L2&reference=3,5&current=4,4&current_name=window+7
//	GET /static/chart/timeline.svg?feature=F&window=1,2,3&status=ok,ok,drift&psi=0.01,0.02,0.4&js=,,0.2&psi_warning=0.1&psi_drift=0.25
//
// Lists of numbers are comma-separated; an empty entry is a missing value.
// The answer depends on the query alone (no stored data is read), so the
// route is as open as the UI's other files.
const chartPrefix = "chart/"

// Limits on a chart query: a client mistake past them is answered 400.
const (
	maxChartBins    = 1000
	maxChartWindows = 10000
	maxChartText    = 200 // runes in a feature name or bin label
)

// errChart is a bad chart query.
var errChart = errors.New("bad chart query")

func chartError(param, format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", errChart, param, fmt.Sprintf(format, a...))
}

// serveChart answers a chart request: the SVG, or 400 naming the bad
// parameter, or 404 for an unknown chart.
func serveChart(w http.ResponseWriter, r *http.Request, name string) {
	var (
		svg string
		err error
	)
	q := r.URL.Query()
	switch name {
	case "histogram.svg":
		var h chart.Histogram
		if h, err = parseHistogram(q); err == nil {
			svg = string(h.SVG())
		}
	case "timeline.svg":
		var t chart.Timeline
		if t, err = parseTimeline(q); err == nil {
			svg = string(t.SVG())
		}
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !strings.HasPrefix(svg, "<svg") { // nothing to draw: an empty chart
		svg = `<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0" role="img" aria-label="no data"></svg>`
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(svg))
}

// parseHistogram reads a histogram query: feature, label (repeated),
// reference and current (counts), current_name.
func parseHistogram(q url.Values) (chart.Histogram, error) {
	h := chart.Histogram{Labels: q["label"]}
	var err error
	if h.Feature, err = text(q, "feature"); err != nil {
		return h, err
	}
	if h.CurrentName, err = text(q, "current_name"); err != nil {
		return h, err
	}
	if len(h.Labels) > maxChartBins {
		return h, chartError("label", "%d bins, at most %d", len(h.Labels), maxChartBins)
	}
	for i, l := range h.Labels {
		if err := checkText("label", l); err != nil {
			return h, fmt.Errorf("%w (bin %d)", err, i)
		}
	}
	if h.Reference, err = counts(q, "reference"); err != nil {
		return h, err
	}
	if h.Current, err = counts(q, "current"); err != nil {
		return h, err
	}
	if max(len(h.Labels), len(h.Reference), len(h.Current)) == 0 {
		return h, chartError("reference", "no bins")
	}
	return h, nil
}

// parseTimeline reads a drift timeline query: feature, window (numbers,
// ascending), status, psi, ks and js (one value per window each),
// psi_warning and psi_drift.
func parseTimeline(q url.Values) (chart.Timeline, error) {
	feature, err := text(q, "feature")
	if err != nil {
		return chart.Timeline{}, err
	}
	var windows []int64
	for i, s := range list(q, "window") {
		w, err := strconv.ParseInt(s, 10, 64)
		if err != nil || w < 0 || (i > 0 && w <= windows[i-1]) {
			return chart.Timeline{}, chartError("window", "entry %d is %q, want window numbers in ascending order", i, s)
		}
		windows = append(windows, w)
	}
	if len(windows) == 0 || len(windows) > maxChartWindows {
		return chart.Timeline{}, chartError("window", "%d windows, want 1 to %d", len(windows), maxChartWindows)
	}
	status := list(q, "status")
	if status != nil && len(status) != len(windows) {
		return chart.Timeline{}, chartError("status", "%d entries for %d windows", len(status), len(windows))
	}
	for i, s := range status {
		switch s {
		case "", "ok", "warning", "drift":
		default:
			return chart.Timeline{}, chartError("status", "entry %d is %q, want ok, warning, drift or empty", i, s)
		}
	}
	var series [3][]float64
	for i, name := range []string{"psi", "ks", "js"} {
		if series[i], err = values(q, name, len(windows)); err != nil {
			return chart.Timeline{}, err
		}
	}
	var th [2]float64
	for i, name := range []string{"psi_warning", "psi_drift"} {
		if s := q.Get(name); s != "" {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || !(v >= 0) || math.IsInf(v, 0) {
				return chart.Timeline{}, chartError(name, "%q is not a non-negative number", s)
			}
			th[i] = v
		}
	}
	return chart.DriftTimeline(feature, windows, status, series[0], series[1], series[2], th[0], th[1]), nil
}

// text reads an optional text parameter of at most maxChartText runes.
func text(q url.Values, name string) (string, error) {
	s := q.Get(name)
	return s, checkText(name, s)
}

func checkText(name, s string) error {
	if n := len([]rune(s)); n > maxChartText {
		return chartError(name, "%d characters, at most %d", n, maxChartText)
	}
	if strings.ContainsRune(s, '\uFFFD') || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\t' }) {
		return chartError(name, "invalid or control characters")
	}
	return nil
}

// list splits a comma-separated parameter; nil when it is absent.
func list(q url.Values, name string) []string {
	if !q.Has(name) {
		return nil
	}
	return strings.Split(q.Get(name), ",")
}

// counts reads a comma-separated list of non-negative counts.
func counts(q url.Values, name string) ([]int64, error) {
	l := list(q, name)
	if len(l) > maxChartBins {
		return nil, chartError(name, "%d bins, at most %d", len(l), maxChartBins)
	}
	var out []int64
	for i, s := range l {
		c, err := strconv.ParseInt(s, 10, 64)
		if err != nil || c < 0 {
			return nil, chartError(name, "entry %d is %q, want a count", i, s)
		}
		out = append(out, c)
	}
	return out, nil
}

// values reads n comma-separated numbers, empty entries missing; nil when
// the parameter is absent.
func values(q url.Values, name string, n int) ([]float64, error) {
	l := list(q, name)
	if l == nil {
		return nil, nil
	}
	if len(l) != n {
		return nil, chartError(name, "%d entries for %d windows", len(l), n)
	}
	out := make([]float64, n)
	for i, s := range l {
		if s == "" {
			out[i] = chart.Missing
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, chartError(name, "entry %d is %q, want a number", i, s)
		}
		out[i] = v
	}
	return out, nil
}
