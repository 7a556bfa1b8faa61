package drift_test

import (
	"math"
	"testing"

	"github.com/berthml/berth/drift"
)

func TestGammaQ(t *testing.T) {
	// values from scipy.special.gammaincc
	tests := []struct{ a, x, want float64 }{
		{0.5, 0.5, 0.31731050786291415}, // chi2.sf(1, 1)
		{1, 2, math.Exp(-2)},
		{1.5, 3.9075, 0.049993902974883875}, // chi2.sf(7.815, 3)
		{10, 3, 0.9988975118698845},
		{2, 0, 1},
		{3, 50, 2.509303552201055e-19},
	}
	for _, tt := range tests {
		got := drift.GammaQ(tt.a, tt.x)
		if math.Abs(got-tt.want) > 1e-8*math.Max(1, tt.want) && math.Abs(got-tt.want) > 1e-22 {
			t.Errorf("GammaQ(%v, %v) = %.17g, want %.17g", tt.a, tt.x, got, tt.want)
		}
	}
	if !math.IsNaN(drift.GammaQ(-1, 1)) {
		t.Error("GammaQ(-1, 1) is not NaN")
	}
}

func TestKolmogorovSF(t *testing.T) {
	// scipy.stats.kstwobign.sf
	tests := []struct{ x, want float64 }{
		{0, 1},
		{0.5, 0.9639452436648751},
		{1, 0.26999967167735456},
		{1.3581, 0.05000},
		{2, 0.0006709252557796953},
	}
	for _, tt := range tests {
		if got := drift.KolmogorovSF(tt.x); math.Abs(got-tt.want) > 1e-5 {
			t.Errorf("KolmogorovSF(%v) = %.17g, want %.17g", tt.x, got, tt.want)
		}
	}
}

func TestStatisticsOnIdenticalAndEmpty(t *testing.T) {
	c := []int64{5, 0, 7, 3}
	if got := drift.PSI(c, c); got != 0 {
		t.Errorf("PSI(c, c) = %v", got)
	}
	if d, p := drift.KS(c, c); d != 0 || p != 1 {
		t.Errorf("KS(c, c) = %v, %v", d, p)
	}
	if got := drift.JSDistance(c, c); got != 0 {
		t.Errorf("JS(c, c) = %v", got)
	}
	if x, p := drift.ChiSquared(c, c); x != 0 || p != 1 {
		t.Errorf("ChiSquared(c, c) = %v, %v", x, p)
	}
	empty := []int64{0, 0, 0, 0}
	if !math.IsNaN(drift.PSI(c, empty)) || !math.IsNaN(drift.JSDistance(empty, c)) {
		t.Error("statistics of an empty side are not NaN")
	}
	if got := drift.JSDistance([]int64{1, 0}, []int64{0, 1}); math.Abs(got-1) > 1e-15 {
		t.Errorf("JS of disjoint distributions = %v, want 1 (base 2)", got)
	}
	// PSI with empty bins: (1-1e-4)·ln(1/1e-4) twice
	want := 2 * (1 - 1e-4) * math.Log(1/1e-4)
	if got := drift.PSI([]int64{1, 0}, []int64{0, 1}); math.Abs(got-want) > 1e-12 {
		t.Errorf("PSI with empty bins = %v, want %v", got, want)
	}
}

func TestThresholdsAndStatus(t *testing.T) {
	ref := &drift.Profile{Features: []drift.Feature{
		{Name: "n", Kind: drift.Numeric, Count: 100, Numeric: &drift.NumericStats{Edges: []float64{0, 1, 2}, Counts: []int64{0, 50, 50, 0}}},
		{Name: "c", Kind: drift.Categorical, Count: 100, Categorical: &drift.CategoricalStats{Categories: []string{"a", "b"}, Counts: []int64{50, 50}}},
	}}
	cur := func(n, c []int64) *drift.Profile {
		return &drift.Profile{Features: []drift.Feature{
			{Name: "n", Kind: drift.Numeric, Count: 100, Numeric: &drift.NumericStats{Edges: []float64{0, 1, 2}, Counts: n}},
			{Name: "c", Kind: drift.Categorical, Count: 100, Categorical: &drift.CategoricalStats{Categories: []string{"a", "b"}, Counts: c}},
		}}
	}
	def := drift.DefaultThresholds()
	noKS := def
	noKS.KSPValue, noKS.Chi2PValue = 0, 0
	strictShare := def
	strictShare.DriftShare = 0.75
	tests := []struct {
		name       string
		n, c       []int64
		th         drift.Thresholds
		wantStatus [2]drift.Status
		want       drift.Status
	}{
		{"same", []int64{0, 50, 50, 0}, []int64{50, 50}, def, [2]drift.Status{"ok", "ok"}, "ok"},
		// PSI 0.169 ≥ 0.1 warns; the KS and chi2 tests are off
		{"psi warning", []int64{0, 70, 30, 0}, []int64{50, 50}, noKS, [2]drift.Status{"warning", "ok"}, "warning"},
		{"half drift", []int64{0, 90, 10, 0}, []int64{50, 50}, def, [2]drift.Status{"drift", "ok"}, "drift"},
		{"share not reached", []int64{0, 90, 10, 0}, []int64{50, 50}, strictShare, [2]drift.Status{"drift", "ok"}, "warning"},
		{"tests disabled, psi drifts", []int64{0, 90, 10, 0}, []int64{90, 10}, noKS, [2]drift.Status{"drift", "drift"}, "drift"},
		{"chi2 drift", []int64{0, 50, 50, 0}, []int64{65, 35}, def, [2]drift.Status{"ok", "drift"}, "drift"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := drift.Compare(ref, cur(tt.n, tt.c), tt.th)
			if err != nil {
				t.Fatal(err)
			}
			for i, fr := range r.Features {
				if fr.Status != tt.wantStatus[i] || fr.Drifted != (tt.wantStatus[i] == drift.StatusDrift) {
					t.Errorf("%s: status %s drifted %v, want %s (psi %v ks_p %v chi2_p %v)", fr.Feature, fr.Status, fr.Drifted, tt.wantStatus[i], val(fr.PSI), val(fr.KSPValue), val(fr.Chi2PValue))
				}
			}
			if r.Status != tt.want {
				t.Errorf("report status %s, want %s", r.Status, tt.want)
			}
		})
	}
}

func val(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
