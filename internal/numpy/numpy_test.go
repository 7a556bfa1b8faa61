package numpy

import (
	"math"
	"testing"
)

func TestReductions(t *testing.T) {
	tenths := make([]float64, 10)
	naive := 0.0
	for i := range tenths {
		tenths[i] = 0.1
		naive += 0.1
	}
	// np.sum([0.1] * 10) is 1.0; Python's sum, left to right, is 0.9999999999999999.
	if got := PairwiseSum(tenths); got != 1.0 || naive == 1.0 {
		t.Errorf("PairwiseSum(ten 0.1) = %v (naive %v), want numpy's 1.0", got, naive)
	}
	big := make([]float64, 1000)
	for i := range big {
		big[i] = float64(i)
	}
	if got := PairwiseSum(big); got != 499500 {
		t.Errorf("PairwiseSum(0..999) = %v, want 499500", got)
	}
	for _, tt := range []struct {
		name      string
		got, want float64
	}{
		{"Mean", Mean([]float64{1, 2, 3, 4}), 2.5},
		{"Var", Var([]float64{1, 2, 3, 4}), 1.25},
		{"Percentile 90", Percentile([]float64{4, 1, 3, 2}, 90), 3.7},
		{"Percentile 0", Percentile([]float64{4, 1, 3, 2}, 0), 1},
		{"Percentile 100", Percentile([]float64{4, 1, 3, 2}, 100), 4},
		{"Percentile of one", Percentile([]float64{7}, 90), 7},
	} {
		if math.Abs(tt.got-tt.want) > 1e-12 {
			t.Errorf("%s = %v, want %v (numpy)", tt.name, tt.got, tt.want)
		}
	}
}
