package chart

import (
	"math"
	"testing"
)

func TestNiceStep(t *testing.T) {
	for _, c := range []struct {
		top  float64
		n    int
		want float64
	}{{1, 5, 0.2}, {0.3, 5, 0.1}, {59, 8, 10}, {4.2, 5, 1}, {0, 5, 1}, {math.NaN(), 5, 1}, {math.Inf(1), 5, 1}, {1, 0, 1}} {
		if got := niceStep(c.top, c.n); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("niceStep(%v, %d) = %v, want %v", c.top, c.n, got, c.want)
		}
	}
}

// A window number near the largest int64 ends the tick loop instead of
// overflowing into an endless one.
func TestTimelineLastWindows(t *testing.T) {
	for _, ws := range [][]int64{{math.MaxInt64}, {math.MaxInt64 - 1, math.MaxInt64}, {0, math.MaxInt64}} {
		tl := Timeline{Feature: "f", Windows: ws, Series: []Series{{Name: "PSI", Class: "psi", Values: make([]float64, len(ws))}}}
		if svg := string(tl.SVG()); len(svg) == 0 {
			t.Errorf("windows %v: no SVG", ws)
		}
	}
}
