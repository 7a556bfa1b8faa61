package chart_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/berthml/berth/chart"
)

func TestHistogramSVG(t *testing.T) {
	many := make([]string, 60)
	counts := make([]int64, 60)
	for i := range many {
		many[i], counts[i] = fmt.Sprintf("[%d, %d)", i*1000, (i+1)*1000), int64(i%7+1)
	}
	for _, c := range []struct {
		name          string
		h             chart.Histogram
		ref, cur, txt int // bars and bin labels
		label         string
	}{
		{"reference only", chart.Histogram{Feature: "x", Labels: []string{"a", "b"}, Reference: []int64{1, 3}}, 2, 0, 2, "reference only"},
		{"both", chart.Histogram{Feature: "x", Labels: []string{"a", "b"}, Reference: []int64{1, 3}, Current: []int64{3, 1}, CurrentName: "window 4"},
			2, 2, 2, "against window 4; bin a moved most, from 25.0% to 75.0%"},
		{"empty current", chart.Histogram{Feature: "x", Labels: []string{"a"}, Reference: []int64{1}, Current: []int64{0}}, 1, 0, 1, "reference only"},
		{"60 bins: every other label", chart.Histogram{Feature: "x", Labels: many, Reference: counts, Current: counts}, 60, 60, 30, "reference against current"},
		{"escaped", chart.Histogram{Feature: `<b>&"`, Labels: []string{`<i>`}, Reference: []int64{1}}, 1, 0, 1, "histogram of &lt;b&gt;&amp;&#34;"},
	} {
		t.Run(c.name, func(t *testing.T) {
			svg := string(c.h.SVG())
			n := svgElements(t, svg)
			if n["rect.bar ref"] != c.ref || n["rect.bar cur"] != c.cur || n["text.bin"] != c.txt {
				t.Errorf("%d reference bars, %d current, %d bin labels; want %d, %d, %d", n["rect.bar ref"], n["rect.bar cur"], n["text.bin"], c.ref, c.cur, c.txt)
			}
			if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, c.label) {
				t.Errorf("the text alternative lacks %q:\n%s", c.label, svg[:min(len(svg), 400)])
			}
			if strings.Contains(svg, "<b>") || strings.Contains(svg, "<i>") {
				t.Error("a name is not escaped")
			}
			// Bin labels keep at least 14 px apart.
			var xs []float64
			for _, m := range regexp.MustCompile(`<text class="bin" x="([0-9.]+)"`).FindAllStringSubmatch(svg, -1) {
				x, _ := strconv.ParseFloat(m[1], 64)
				xs = append(xs, x)
			}
			for i := 1; i < len(xs); i++ {
				if xs[i]-xs[i-1] < 14 {
					t.Fatalf("bin labels %d and %d are %.1f px apart", i-1, i, xs[i]-xs[i-1])
				}
			}
		})
	}
	if got := (chart.Histogram{Feature: "x"}).SVG(); strings.Contains(string(got), "<svg") {
		t.Errorf("a histogram of no bins = %s", got)
	}
}
