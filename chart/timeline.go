package chart

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
)

// Timeline is a feature's drift statistics by window, against the window
// number (never the clock: windows are what the rule counts).
type Timeline struct {
	// Feature names the chart in its text alternative.
	Feature string
	// Windows are the window numbers, ascending.
	Windows []int64
	// Status is the feature's status in each window ("" when it was not
	// scored); it colours the points.
	Status []string
	// Series are the statistics, drawn in order (the last on top).
	Series []Series
	// Thresholds are drawn as dashed horizontal lines.
	Thresholds []Threshold
}

// Series is one statistic of a timeline.
type Series struct {
	Name  string // in the legend and tooltips: "PSI"
	Class string // the SVG class of its lines and points: "psi"
	Color string
	Dash  string // an SVG stroke-dasharray; empty for a solid line
	// Values holds one value per window; NaN or ±Inf where it is
	// missing, which breaks the line.
	Values []float64
}

// Threshold is a level a statistic is judged against.
type Threshold struct {
	Name   string // in the legend: "PSI drift"
	Status string // "warning" or "drift": its class and colour
	Value  float64
}

// Geometry of a timeline.
const (
	tlW, tlH                     = 560.0, 280.0
	tlLeft, tlRight, tlTop, tlBt = 46.0, 14.0, 34.0, 40.0
	tlPlotW, tlPlotH             = tlW - tlLeft - tlRight, tlH - tlTop - tlBt
)

// Missing is the value of a statistic that was not computed in a window.
var Missing = math.NaN()

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// SVG draws t: a polyline per series, broken where a value is missing, a
// point per window coloured by the status, the thresholds dashed, window
// numbers on the x axis, a legend, and a text alternative with the last
// window's values.
func (t Timeline) SVG() template.HTML {
	if len(t.Windows) == 0 {
		return "<p>no window has closed yet</p>"
	}
	yMax := 0.0
	for _, s := range t.Series {
		for _, v := range s.Values {
			if finite(v) {
				yMax = max(yMax, v)
			}
		}
	}
	for _, th := range t.Thresholds {
		if th.Value > 0 {
			yMax = max(yMax, th.Value*1.2)
		}
	}
	step := niceStep(max(yMax, 0.1), 5)
	yMax = math.Ceil(max(yMax, 0.1)/step-1e-9) * step
	w0, w1 := t.Windows[0], t.Windows[len(t.Windows)-1]
	x := func(w int64) float64 {
		if w1 == w0 {
			return tlLeft + tlPlotW/2
		}
		return tlLeft + float64(w-w0)/float64(w1-w0)*tlPlotW
	}
	y := func(v float64) float64 { return tlTop + tlPlotH - min(max(v, 0), yMax)/yMax*tlPlotH }
	esc := template.HTMLEscapeString

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="%g" height="%g" viewBox="0 0 %[1]g %[2]g" role="img" aria-label="%[3]s">`,
		tlW, tlH, esc(t.summary()))
	fmt.Fprintf(&b, `<title>drift statistics of %s per window</title>`, esc(t.Feature))
	for i := 0; float64(i)*step <= yMax+step/2; i++ {
		v := float64(i) * step
		fmt.Fprintf(&b, `<line x1="%g" y1="%.2f" x2="%g" y2="%.2f" stroke="%s"/><text x="%g" y="%.2f" font-size="10" text-anchor="end" fill="%s">%s</text>`,
			tlLeft, y(v), tlLeft+tlPlotW, y(v), ColorGrid, tlLeft-4, y(v)+3, ColorText, esc(fmt.Sprintf("%.3g", v)))
	}
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s"/><line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%[5]s"/>`,
		tlLeft, tlTop, tlLeft, tlTop+tlPlotH, ColorNone, tlLeft, tlTop+tlPlotH, tlLeft+tlPlotW, tlTop+tlPlotH)
	xStep := max(int64(niceStep(float64(w1-w0), 8)), 1)
	for w := w0 + (xStep-w0%xStep)%xStep; w <= w1; w += xStep {
		fmt.Fprintf(&b, `<line x1="%.2f" y1="%g" x2="%.2f" y2="%g" stroke="%s"/><text x="%.2f" y="%g" font-size="10" text-anchor="middle" fill="%s">%d</text>`,
			x(w), tlTop+tlPlotH, x(w), tlTop+tlPlotH+4, ColorNone, x(w), tlTop+tlPlotH+15, ColorText, w)
		if w > w1-xStep { // the next step would pass w1, or overflow
			break
		}
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11" text-anchor="middle" fill="%s">window</text>`, tlLeft+tlPlotW/2, tlH-6, ColorText)
	fmt.Fprintf(&b, `<text x="12" y="%g" font-size="11" text-anchor="middle" fill="%s" transform="rotate(-90 12 %[1]g)">statistic</text>`,
		tlTop+tlPlotH/2, ColorText)
	for _, th := range t.Thresholds {
		if th.Value > 0 {
			fmt.Fprintf(&b, `<line class="threshold %s" x1="%g" y1="%.2f" x2="%g" y2="%.2f" stroke="%s" stroke-dasharray="6 4"/>`,
				esc(th.Status), tlLeft, y(th.Value), tlLeft+tlPlotW, y(th.Value), StatusColor(th.Status))
		}
	}
	for _, s := range t.Series {
		var seg []string
		flush := func() {
			if len(seg) > 1 {
				fmt.Fprintf(&b, `<polyline class="line %s" points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`,
					esc(s.Class), strings.Join(seg, " "), s.Color, dashAttr(s.Dash))
			}
			seg = seg[:0]
		}
		for i, w := range t.Windows {
			if i >= len(s.Values) || !finite(s.Values[i]) {
				flush()
				continue
			}
			seg = append(seg, fmt.Sprintf("%.2f,%.2f", x(w), y(s.Values[i])))
		}
		flush()
	}
	for _, s := range t.Series {
		for i, w := range t.Windows {
			if i >= len(s.Values) || !finite(s.Values[i]) {
				continue
			}
			st := t.status(i)
			fmt.Fprintf(&b, `<circle class="point %s %s" cx="%.2f" cy="%.2f" r="3.5" fill="%s" stroke="#fff"><title>window %d: %s %.4g (%s)</title></circle>`,
				esc(s.Class), esc(st), x(w), y(s.Values[i]), StatusColor(st), w, esc(s.Name), s.Values[i], esc(st))
		}
	}
	t.legend(&b, tlLeft, 14)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (t Timeline) status(i int) string {
	if i < len(t.Status) {
		return t.Status[i]
	}
	return ""
}

// summary is the chart's text alternative.
func (t Timeline) summary() string {
	last := len(t.Windows) - 1
	s := fmt.Sprintf("drift statistics of %s for windows %d to %d", t.Feature, t.Windows[0], t.Windows[last])
	var vals []string
	for _, se := range slices.Backward(t.Series) {
		if last < len(se.Values) && finite(se.Values[last]) {
			vals = append(vals, fmt.Sprintf("%s %.3g", se.Name, se.Values[last]))
		}
	}
	if len(vals) > 0 {
		s += fmt.Sprintf("; window %d: %s", t.Windows[last], strings.Join(vals, ", "))
	}
	if st := t.status(last); st != "" {
		s += " (" + st + ")"
	}
	return s
}

func dashAttr(dash string) string {
	if dash == "" {
		return ""
	}
	return ` stroke-dasharray="` + template.HTMLEscapeString(dash) + `"`
}

// legend writes the timeline's legend in one row from (x, y): the
// series, the thresholds and the status colours of the points.
func (t Timeline) legend(b *strings.Builder, x, y float64) {
	esc := template.HTMLEscapeString
	b.WriteString(`<g class="legend" font-size="10">`)
	for _, s := range slices.Backward(t.Series) {
		fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"%s/><text x="%g" y="%g" fill="%s">%s</text>`,
			x, y, x+16, y, s.Color, dashAttr(s.Dash), x+20, y+3, ColorText, esc(s.Name))
		x += 24 + 7*float64(len([]rune(s.Name)))
	}
	for _, th := range t.Thresholds {
		if !(th.Value > 0) {
			continue
		}
		fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-dasharray="6 4"/><text x="%g" y="%g" fill="%s">%s</text>`,
			x, y, x+16, y, StatusColor(th.Status), x+20, y+3, ColorText, esc(th.Name))
		x += 24 + 6*float64(len([]rune(th.Name)))
	}
	for _, s := range []string{"ok", "warning", "drift"} {
		fmt.Fprintf(b, `<circle cx="%g" cy="%g" r="3" fill="%s"/><text x="%g" y="%g" fill="%s">%s</text>`,
			x+3, y, StatusColor(s), x+9, y+3, ColorText, s)
		x += 16 + 6*float64(len(s))
	}
	b.WriteString(`</g>`)
}
