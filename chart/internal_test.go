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
