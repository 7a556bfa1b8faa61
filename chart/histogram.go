package chart

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Histogram is a feature's share of rows per bin in the reference and in
// the current window, drawn side by side per bin.
type Histogram struct {
	// Feature names the chart in its text alternative.
	Feature string
	// Labels name the bins; a bin without one is named by its index.
	Labels []string
	// Reference and Current are the counts per bin; either may be empty
	// (the reference alone is drawn before a window closes).
	Reference, Current []int64
	// CurrentName names the current bars in the legend; "current" when
	// empty.
	CurrentName string
}

// Geometry of a histogram.
const (
	histW, histH              = 560.0, 260.0
	histLeft, histRight       = 44.0, 10.0
	histTop, histBottom       = 26.0, 70.0
	histPlotW, histPlotH      = histW - histLeft - histRight, histH - histTop - histBottom
	histLabelChars            = 14   // longer bin labels are cut, whole in the tooltip
	histLabelPitch            = 14.0 // the least room between two labels, in px
	histFontSize, histKeySize = 10.0, 10.0
)

// shares returns counts as proportions of their sum, or nil when the sum
// is not positive.
func shares(counts []int64) []float64 {
	var sum float64
	for _, c := range counts {
		sum += float64(c)
	}
	if !(sum > 0) {
		return nil
	}
	out := make([]float64, len(counts))
	for i, c := range counts {
		out[i] = float64(c) / sum
	}
	return out
}

// SVG draws h: bars of the reference's and the current window's share of
// rows per bin, a percentage axis, bin labels thinned so that they never
// overlap, a legend, a tooltip per bar, and a text alternative naming the
// bin that moved most.
func (h Histogram) SVG() template.HTML {
	n := max(len(h.Labels), len(h.Reference), len(h.Current))
	if n == 0 {
		return "<p>no data</p>"
	}
	p, q := shares(h.Reference), shares(h.Current)
	curName := h.CurrentName
	if curName == "" {
		curName = "current"
	}
	top := 0.0
	for _, s := range [][]float64{p, q} {
		for _, v := range s {
			top = max(top, v)
		}
	}
	step := niceStep(max(top, 0.01), 4)
	top = math.Ceil(max(top, 0.01)/step-1e-9) * step
	bw := histPlotW / float64(n)
	y := func(v float64) float64 { return histTop + histPlotH - v/top*histPlotH }
	esc := template.HTMLEscapeString

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="histogram" width="%g" height="%g" viewBox="0 0 %[1]g %[2]g" role="img" aria-label="%[3]s">`,
		histW, histH, esc(h.summary(p, q, curName)))
	fmt.Fprintf(&b, `<title>histogram of %s</title>`, esc(h.Feature))
	// Grid and the percentage axis.
	for i := 0; float64(i)*step <= top+step/2; i++ {
		v := float64(i) * step
		fmt.Fprintf(&b, `<line x1="%g" y1="%.2f" x2="%g" y2="%.2f" stroke="%s"/><text x="%g" y="%.2f" font-size="%g" text-anchor="end" fill="%s">%s</text>`,
			histLeft, y(v), histLeft+histPlotW, y(v), ColorGrid, histLeft-4, y(v)+3, histFontSize, ColorText, esc(percent(v, step)))
	}
	fmt.Fprintf(&b, `<text x="12" y="%g" font-size="%g" text-anchor="middle" fill="%s" transform="rotate(-90 12 %[1]g)">share of rows</text>`,
		histTop+histPlotH/2, histFontSize+1, ColorText)
	bar := func(s []float64, class, color, name string, off float64) {
		for i, v := range s {
			fmt.Fprintf(&b, `<rect class="bar %s" x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s"><title>%s %s: %s</title></rect>`,
				class, histLeft+float64(i)*bw+off*bw, y(v), bw*0.4, histTop+histPlotH-y(v), color,
				esc(name), esc(h.label(i)), esc(percent(v, 0.001)))
		}
	}
	bar(p, "ref", ColorReference, "reference", 0.1)
	bar(q, "cur", ColorCurrent, curName, 0.5)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s"/>`,
		histLeft, histTop+histPlotH, histLeft+histPlotW, histTop+histPlotH, ColorNone)
	// Bin labels, rotated, every every-th so that they keep apart.
	every := max(int(math.Ceil(histLabelPitch/bw)), 1)
	for i := 0; i < n; i += every {
		x, ly := histLeft+float64(i)*bw+bw/2, histTop+histPlotH+10
		fmt.Fprintf(&b, `<text class="bin" x="%.2f" y="%.2f" font-size="%g" fill="%s" text-anchor="end" transform="rotate(-40 %.2f %.2f)">%s</text>`,
			x, ly, histFontSize, ColorText, x, ly, esc(cut(h.label(i), histLabelChars)))
	}
	// Legend.
	x := histLeft
	for _, k := range []struct{ name, color string }{{"reference", ColorReference}, {curName, ColorCurrent}} {
		if (k.color == ColorCurrent && q == nil) || (k.color == ColorReference && p == nil) {
			continue
		}
		fmt.Fprintf(&b, `<rect class="key" x="%g" y="6" width="%g" height="%g" fill="%s"/><text x="%g" y="15" font-size="%g" fill="%s">%s</text>`,
			x, histKeySize, histKeySize, k.color, x+histKeySize+4, histFontSize+1, ColorText, esc(k.name))
		x += histKeySize + 14 + 6.5*float64(len([]rune(k.name)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// summary is the chart's text alternative: what it shows and the bin
// whose share moved most.
func (h Histogram) summary(p, q []float64, curName string) string {
	s := fmt.Sprintf("histogram of %s: share of rows per bin, reference", h.Feature)
	if q == nil {
		return s + " only"
	}
	s += " against " + curName
	best, moved := -1, 0.0
	for i := range min(len(p), len(q)) {
		if d := math.Abs(q[i] - p[i]); d > moved {
			best, moved = i, d
		}
	}
	if best >= 0 {
		s += fmt.Sprintf("; bin %s moved most, from %s to %s", h.label(best), percent(p[best], 0.001), percent(q[best], 0.001))
	}
	return s
}

func (h Histogram) label(i int) string {
	if i < len(h.Labels) {
		return h.Labels[i]
	}
	return fmt.Sprint(i)
}

// percent writes v as a percentage with as many decimals as step needs.
func percent(v, step float64) string {
	d := 0
	for s := step * 100; s < 1 && d < 3; s *= 10 {
		d++
	}
	return fmt.Sprintf("%.*f%%", d, v*100)
}

// cut shortens s to n runes, ending it with an ellipsis.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
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
