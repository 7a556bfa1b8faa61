package drift

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
)

// The colours of the live drift page's charts. The histogram colours are
// histogramSVG's; the statuses match the pages' CSS.
const (
	ColorReference = "#4878d0" // reference bars, drawn at 55 % opacity
	ColorCurrent   = "#ee854a" // current bars, drawn at 55 % opacity
	ColorPSI       = "#6a3d9a" // the PSI line of a timeline
	ColorKS        = "#1f77b4" // the KS statistic line
	ColorJS        = "#e377c2" // the JS distance line
)

// statusColor is the colour of a status in charts and text.
func statusColor(s Status) string {
	switch s {
	case StatusOK:
		return "#22aa77"
	case StatusWarning:
		return "#cc8800"
	case StatusDrift:
		return "#cc2222"
	}
	return "#888888"
}

// series is one statistic of a timeline.
type series struct {
	name, class, color, dash string
	value                    func(FeatureScore) *float64
}

var timelineSeries = []series{
	{"PSI", "psi", ColorPSI, "", func(f FeatureScore) *float64 { return f.PSI }},
	{"KS D", "ks", ColorKS, "", func(f FeatureScore) *float64 { return f.KS }},
	{"JS", "js", ColorJS, "5 3", func(f FeatureScore) *float64 { return f.JS }},
}

// finite returns *p when p is a finite number.
func finite(p *float64) (float64, bool) {
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return 0, false
	}
	return *p, true
}

// niceStep returns a step of 1, 2 or 5 × 10ⁿ that cuts [0, top] into
// about n ticks.
func niceStep(top float64, n int) float64 {
	if !(top > 0) || math.IsInf(top, 0) || n < 1 {
		return 1
	}
	raw := top / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// scoreOf returns the nth (from 0) score of w named feature, or nil: a
// model's inputs and outputs may share a name, and the monitor lists them
// in the same order in every window.
func scoreOf(w *WindowResult, feature string, nth int) *FeatureScore {
	for j := range w.Features {
		if f := &w.Features[j]; f.Feature == feature {
			if nth == 0 {
				return f
			}
			nth--
		}
	}
	return nil
}

// timelineSVG draws the PSI, KS statistic and JS distance of the nth
// feature named feature (nth counts from 0) over windows (oldest first)
// against the window number: one polyline per statistic, broken where it
// is missing, a point per window coloured by the feature's status in it,
// and dashed lines at th's PSI warning and drift thresholds.
func timelineSVG(feature string, nth int, windows []WindowResult, th Thresholds) template.HTML {
	const (
		width, height            = 560.0, 280.0
		left, right, top, bottom = 46.0, 14.0, 34.0, 40.0
		plotW, plotH             = width - left - right, height - top - bottom
	)
	if len(windows) == 0 {
		return "<p>no window has closed yet</p>"
	}
	scores := make([]*FeatureScore, len(windows))
	yMax := 0.0
	for i := range windows {
		if f := scoreOf(&windows[i], feature, nth); f != nil {
			scores[i] = f
			for _, s := range timelineSeries {
				if v, ok := finite(s.value(*f)); ok {
					yMax = max(yMax, v)
				}
			}
		}
	}
	for _, t := range []float64{th.PSIWarning, th.PSIDrift} {
		if t > 0 {
			yMax = max(yMax, t*1.2)
		}
	}
	step := niceStep(max(yMax, 0.1), 5)
	yMax = math.Ceil(max(yMax, 0.1)/step-1e-9) * step
	w0, w1 := windows[0].Window, windows[len(windows)-1].Window
	x := func(w int64) float64 {
		if w1 == w0 {
			return left + plotW/2
		}
		return left + float64(w-w0)/float64(w1-w0)*plotW
	}
	y := func(v float64) float64 { return top + plotH - min(max(v, 0), yMax)/yMax*plotH }

	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="%g" height="%g" viewBox="0 0 %[1]g %[2]g" role="img" aria-label="drift statistics of %[3]s per window">`,
		width, height, esc(feature))
	// Axes, y ticks and grid.
	for i := 0; float64(i)*step <= yMax+step/2; i++ {
		v := float64(i) * step
		fmt.Fprintf(&b, `<line x1="%g" y1="%.2f" x2="%g" y2="%.2f" stroke="#e4e4e4"/><text x="%g" y="%.2f" font-size="10" text-anchor="end">%s</text>`,
			left, y(v), left+plotW, y(v), left-4, y(v)+3, esc(fmt.Sprintf("%.3g", v)))
	}
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#888"/><line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#888"/>`,
		left, top, left, top+plotH, left, top+plotH, left+plotW, top+plotH)
	xStep := max(int64(niceStep(float64(w1-w0), 8)), 1)
	for w := w0 + (xStep-w0%xStep)%xStep; w <= w1; w += xStep {
		fmt.Fprintf(&b, `<line x1="%.2f" y1="%g" x2="%.2f" y2="%g" stroke="#888"/><text x="%.2f" y="%g" font-size="10" text-anchor="middle">%d</text>`,
			x(w), top+plotH, x(w), top+plotH+4, x(w), top+plotH+15, w)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11" text-anchor="middle">window</text>`, left+plotW/2, height-6)
	fmt.Fprintf(&b, `<text x="12" y="%g" font-size="11" text-anchor="middle" transform="rotate(-90 12 %g)">statistic</text>`,
		top+plotH/2, top+plotH/2)
	// PSI thresholds.
	for _, t := range []struct {
		v     float64
		class string
		s     Status
	}{{th.PSIWarning, "warning", StatusWarning}, {th.PSIDrift, "drift", StatusDrift}} {
		if t.v > 0 {
			fmt.Fprintf(&b, `<line class="threshold %s" x1="%g" y1="%.2f" x2="%g" y2="%.2f" stroke="%s" stroke-dasharray="6 4"/>`,
				t.class, left, y(t.v), left+plotW, y(t.v), statusColor(t.s))
		}
	}
	// Series, PSI last so that it is on top: polylines broken at missing
	// values, then the points.
	for _, s := range slices.Backward(timelineSeries) {
		var seg []string
		flush := func() {
			if len(seg) > 1 {
				fmt.Fprintf(&b, `<polyline class="line %s" points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`,
					s.class, strings.Join(seg, " "), s.color, dashAttr(s.dash))
			}
			seg = seg[:0]
		}
		for i, f := range scores {
			v, ok := 0.0, false
			if f != nil {
				v, ok = finite(s.value(*f))
			}
			if !ok {
				flush()
				continue
			}
			seg = append(seg, fmt.Sprintf("%.2f,%.2f", x(windows[i].Window), y(v)))
		}
		flush()
	}
	for _, s := range slices.Backward(timelineSeries) {
		for i, f := range scores {
			if f == nil {
				continue
			}
			if v, ok := finite(s.value(*f)); ok {
				fmt.Fprintf(&b, `<circle class="point %s %s" cx="%.2f" cy="%.2f" r="3.5" fill="%s" stroke="#fff"><title>window %d: %s %.4g (%s)</title></circle>`,
					s.class, esc(string(f.Status)), x(windows[i].Window), y(v), statusColor(f.Status),
					windows[i].Window, s.name, v, esc(string(f.Status)))
			}
		}
	}
	legendSVG(&b, left, 14)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func dashAttr(dash string) string {
	if dash == "" {
		return ""
	}
	return ` stroke-dasharray="` + dash + `"`
}

// legendSVG writes a timeline's legend in one row from (x, y).
func legendSVG(b *strings.Builder, x, y float64) {
	b.WriteString(`<g class="legend" font-size="10">`)
	for _, s := range timelineSeries {
		fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"%s/><text x="%g" y="%g">%s</text>`,
			x, y, x+16, y, s.color, dashAttr(s.dash), x+20, y+3, s.name)
		x += 24 + 7*float64(len(s.name))
	}
	for _, t := range []struct {
		name string
		s    Status
	}{{"PSI warning", StatusWarning}, {"PSI drift", StatusDrift}} {
		fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-dasharray="6 4"/><text x="%g" y="%g">%s</text>`,
			x, y, x+16, y, statusColor(t.s), x+20, y+3, t.name)
		x += 24 + 6*float64(len(t.name))
	}
	for _, s := range []Status{StatusOK, StatusWarning, StatusDrift} {
		fmt.Fprintf(b, `<circle cx="%g" cy="%g" r="3" fill="%s"/><text x="%g" y="%g">%s</text>`,
			x+3, y, statusColor(s), x+9, y+3, s)
		x += 16 + 6*float64(len(s))
	}
	b.WriteString(`</g>`)
}
