package drift_test

import (
	"math"
	"math/rand/v2"
	"slices"
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
		if math.Abs(got-tt.want) > 1e-9*tt.want {
			t.Errorf("GammaQ(%v, %v) = %.17g, want %.17g (relative error over 1e-9)", tt.a, tt.x, got, tt.want)
		}
	}
	// Outside the domain the answer is NaN, not a panic (gonum's
	// GammaIncRegComp panics on these).
	for _, args := range [][2]float64{{-1, 1}, {0, 1}, {1, -1}, {math.NaN(), 1}, {1, math.NaN()}, {math.Inf(1), 1}} {
		if got := drift.GammaQ(args[0], args[1]); !math.IsNaN(got) {
			t.Errorf("GammaQ(%v, %v) = %v, want NaN", args[0], args[1], got)
		}
	}
	if got := drift.GammaQ(1, math.Inf(1)); got != 0 {
		t.Errorf("GammaQ(1, +Inf) = %v, want 0", got)
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

func TestDecisionRule(t *testing.T) {
	// ref holds n values a feature: the numeric one uniform on [0, 2] in
	// two bins, the categorical one half a, half b.
	ref := func(n int64) *drift.Profile {
		return &drift.Profile{Features: []drift.Feature{
			{Name: "n", Kind: drift.Numeric, Count: n, Numeric: &drift.NumericStats{Min: 0, Max: 2, Mean: 1, Variance: 1.0 / 3,
				Edges: []float64{0, 1, 2}, Counts: []int64{0, n / 2, n / 2, 0}}},
			{Name: "c", Kind: drift.Categorical, Count: n, Categorical: &drift.CategoricalStats{Categories: []string{"a", "b"}, Counts: []int64{n / 2, n / 2}}},
		}}
	}
	cur := func(nc, cc []int64) *drift.Profile {
		var n int64
		for _, v := range nc {
			n += v
		}
		return &drift.Profile{Features: []drift.Feature{
			{Name: "n", Kind: drift.Numeric, Count: n, Numeric: &drift.NumericStats{Min: 0, Max: 2, Edges: []float64{0, 1, 2}, Counts: nc}},
			{Name: "c", Kind: drift.Categorical, Count: n, Categorical: &drift.CategoricalStats{Categories: []string{"a", "b"}, Counts: cc}},
		}}
	}
	def := drift.DefaultThresholds()
	noTests := def
	noTests.KSPValue, noTests.Chi2PValue = 0, 0
	strictShare := def
	strictShare.DriftShare = 0.75
	tests := []struct {
		name       string
		n          int64
		nc, cc     []int64
		th         drift.Thresholds
		wantStatus [2]drift.Status
		want       drift.Status
	}{
		{"same", 100, []int64{0, 50, 50, 0}, []int64{50, 50}, def, [2]drift.Status{"ok", "ok"}, "ok"},
		{"small sample, significant", 100, []int64{0, 90, 10, 0}, []int64{50, 50}, def, [2]drift.Status{"drift", "ok"}, "drift"},
		{"share not reached", 100, []int64{0, 90, 10, 0}, []int64{50, 50}, strictShare, [2]drift.Status{"drift", "ok"}, "warning"},
		// chi-squared p 0.032 alone would drift at 0.05; adjusted over the
		// window's 3 p-values it is 0.096, not below q = 0.01
		{"one p-value of 0.03 is noise", 100, []int64{0, 50, 50, 0}, []int64{65, 35}, def, [2]drift.Status{"ok", "ok"}, "ok"},
		{"chi2 drift", 100, []int64{0, 50, 50, 0}, []int64{80, 20}, def, [2]drift.Status{"ok", "drift"}, "drift"},
		// 4,000 values a side: KS p ≈ 1e-5, but the normed Wasserstein
		// distance is 0.087 < 0.1 and PSI 0.005
		{"large sample, small change warns", 4000, []int64{0, 2200, 1800, 0}, []int64{2000, 2000}, def, [2]drift.Status{"warning", "ok"}, "warning"},
		{"large sample, large change drifts", 4000, []int64{0, 3000, 1000, 0}, []int64{2000, 2000}, def, [2]drift.Status{"drift", "ok"}, "drift"},
		{"large sample, categorical by JS", 4000, []int64{0, 2000, 2000, 0}, []int64{3200, 800}, def, [2]drift.Status{"ok", "drift"}, "drift"},
		// tests off: PSI 0.169 ≥ 0.1 on 400 values a side warns, never drifts
		{"tests disabled, psi warns", 400, []int64{0, 280, 120, 0}, []int64{200, 200}, noTests, [2]drift.Status{"warning", "ok"}, "warning"},
		// on 100 a side PSI's noise, (bins−1)·2/100, is too high to grade
		{"psi not judged on small samples", 100, []int64{0, 70, 30, 0}, []int64{50, 50}, noTests, [2]drift.Status{"ok", "ok"}, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := drift.Compare(ref(tt.n), cur(tt.nc, tt.cc), tt.th)
			if err != nil {
				t.Fatal(err)
			}
			for i, fr := range r.Features {
				if fr.Status != tt.wantStatus[i] || fr.Drifted != (tt.wantStatus[i] == drift.StatusDrift) {
					t.Errorf("%s: status %s drifted %v, want %s (psi %v on %d bins, ks_p %v→%v chi2_p %v→%v wasserstein %v js %v)",
						fr.Feature, fr.Status, fr.Drifted, tt.wantStatus[i], val(fr.PSI), fr.PSIBins, val(fr.KSPValue), val(fr.KSPAdjusted),
						val(fr.Chi2PValue), val(fr.Chi2PAdjusted), val(fr.Wasserstein), val(fr.JSDistance))
				}
			}
			if r.Status != tt.want {
				t.Errorf("report status %s, want %s", r.Status, tt.want)
			}
		})
	}
}

func TestBenjaminiHochberg(t *testing.T) {
	// R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH")
	nan := math.NaN()
	got := drift.BenjaminiHochberg([]float64{0.01, nan, 0.04, 0.03, 0.005})
	want := []float64{0.02, nan, 0.04, 0.04, 0.02}
	for i := range want {
		if math.IsNaN(want[i]) != math.IsNaN(got[i]) || (!math.IsNaN(want[i]) && math.Abs(got[i]-want[i]) > 1e-15) {
			t.Errorf("adjusted %v, want %v", got, want)
			break
		}
	}
	if got := drift.BenjaminiHochberg([]float64{0.9, 0.8}); got[0] != 0.9 || got[1] != 0.9 {
		t.Errorf("adjusted %v, want [0.9 0.9]", got)
	}
	if got := drift.BenjaminiHochberg(nil); len(got) != 0 {
		t.Errorf("adjusted %v, want none", got)
	}
}

func TestNormedWasserstein(t *testing.T) {
	edges := []float64{0, 1, 2}
	tests := []struct {
		name     string
		ref, cur []int64
		lo, hi   float64
		scale    float64
		want     float64
	}{
		// U(0,2) against U(1,2): 0.5
		{"shift into one bin", []int64{0, 50, 50, 0}, []int64{0, 0, 100, 0}, 0, 2, 1, 0.5},
		{"normed", []int64{0, 50, 50, 0}, []int64{0, 0, 100, 0}, 0, 2, 2, 0.25},
		// U(0,1) against U(1,2): 1
		{"disjoint", []int64{0, 10, 0, 0}, []int64{0, 0, 10, 0}, 0, 2, 1, 1},
		// half of the current in the overflow bin, spread to 4: 0.5·1.5
		{"overflow", []int64{0, 50, 50, 0}, []int64{0, 50, 0, 50}, 0, 4, 1, 0.75},
		{"underflow", []int64{0, 50, 50, 0}, []int64{50, 0, 50, 0}, -2, 2, 1, 0.75},
		{"same", []int64{0, 5, 7, 0}, []int64{0, 10, 14, 0}, 0, 2, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := drift.NormedWasserstein(edges, tt.ref, tt.cur, tt.lo, tt.hi, tt.scale); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("NormedWasserstein = %v, want %v", got, tt.want)
			}
		})
	}
	// the CDF gap changes sign inside a bin: ∫|0.5 − x| over [0, 1]
	if got := drift.NormedWasserstein([]float64{0, 1}, []int64{0, 1, 0}, []int64{1, 0, 1}, -0.5, 1.5, 1); math.IsNaN(got) {
		t.Errorf("NormedWasserstein = NaN")
	}
	for _, bad := range []float64{0, -1, math.NaN()} {
		if got := drift.NormedWasserstein(edges, []int64{0, 1, 1, 0}, []int64{0, 1, 1, 0}, 0, 2, bad); !math.IsNaN(got) {
			t.Errorf("scale %v: %v, want NaN", bad, got)
		}
	}
	if got := drift.NormedWasserstein(edges, []int64{0, 0, 0, 0}, []int64{0, 1, 1, 0}, 0, 2, 1); !math.IsNaN(got) {
		t.Errorf("empty side: %v, want NaN", got)
	}
}

func TestMergeBins(t *testing.T) {
	tests := []struct {
		ref, cur         []int64
		k                int
		wantRef, wantCur []int64
	}{
		{[]int64{0, 5, 5, 5, 5, 0}, []int64{0, 5, 5, 5, 5, 0}, 2, []int64{10, 10}, []int64{10, 10}},
		// 44 values: the first group closes once it holds 22
		{[]int64{0, 5, 5, 5, 5, 0}, []int64{1, 5, 5, 5, 5, 3}, 2, []int64{15, 5}, []int64{16, 8}},
		{[]int64{1, 2, 3}, []int64{1, 2, 3}, 5, []int64{1, 2, 3}, []int64{1, 2, 3}},
		{[]int64{1, 2, 3}, []int64{1, 2, 3}, 1, []int64{6}, []int64{6}},
		{[]int64{0, 0, 0}, []int64{0, 0, 0}, 2, []int64{0, 0, 0}, []int64{0, 0, 0}},
	}
	for _, tt := range tests {
		r, c := drift.MergeBins(tt.ref, tt.cur, tt.k)
		if !slices.Equal(r, tt.wantRef) || !slices.Equal(c, tt.wantCur) {
			t.Errorf("MergeBins(%v, %v, %d) = %v, %v, want %v, %v", tt.ref, tt.cur, tt.k, r, c, tt.wantRef, tt.wantCur)
		}
	}
}

func TestPersist(t *testing.T) {
	verdicts := []drift.Status{"ok", "drift", "drift", "drift", "warning", "drift"}
	want := []drift.Status{"ok", "warning", "drift", "drift", "warning", "warning"}
	wantRun := []int{0, 1, 2, 3, 0, 1}
	run := 0
	for i, v := range verdicts {
		var got drift.Status
		got, run = drift.Persist(v, run, 2)
		if got != want[i] || run != wantRun[i] {
			t.Errorf("window %d (%s): %s after %d, want %s after %d", i+1, v, got, run, want[i], wantRun[i])
		}
	}
	if got, _ := drift.Persist(drift.StatusDrift, 0, 1); got != drift.StatusDrift {
		t.Errorf("persistence 1: %s, want drift", got)
	}
}

func val(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestPSINullExpectation checks the formula the PSI bins are chosen by:
// with k bins and samples of n and m values from one distribution,
// E[PSI] ≈ (k−1)(1/n+1/m).
func TestPSINullExpectation(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	probs := []float64{0.1, 0.2, 0.3, 0.25, 0.15}
	draw := func(n int) []int64 {
		c := make([]int64, len(probs))
		for range n {
			u := r.Float64()
			for i, p := range probs {
				if u < p || i == len(probs)-1 {
					c[i]++
					break
				}
				u -= p
			}
		}
		return c
	}
	for _, nm := range [][2]int{{200, 200}, {1000, 300}} {
		const reps = 2000
		var sum float64
		for range reps {
			sum += drift.PSI(draw(nm[0]), draw(nm[1]))
		}
		got := sum / reps
		want := float64(len(probs)-1) * (1/float64(nm[0]) + 1/float64(nm[1]))
		if math.Abs(got-want) > 0.1*want {
			t.Errorf("n=%d m=%d: mean PSI %.4f, want ≈ %.4f", nm[0], nm[1], got, want)
		}
	}
}

// TestTwoSampleUndefined: the two-sample tests have no answer (NaN, not a
// panic or a p-value) for tables of different lengths or an empty side.
func TestTwoSampleUndefined(t *testing.T) {
	c := []int64{3, 0, 5}
	tests := []struct {
		name     string
		ref, cur []int64
	}{
		{"lengths differ", c, []int64{3, 5}},
		{"empty reference", []int64{0, 0, 0}, c},
		{"empty current", c, []int64{0, 0, 0}},
		{"nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d, p := drift.KS(tt.ref, tt.cur); !math.IsNaN(d) || !math.IsNaN(p) {
				t.Errorf("KS = %v, %v, want NaN", d, p)
			}
			if x, p := drift.ChiSquared(tt.ref, tt.cur); !math.IsNaN(x) || !math.IsNaN(p) {
				t.Errorf("ChiSquared = %v, %v, want NaN", x, p)
			}
			// Two edges: three bins.
			if got := drift.NormedWasserstein([]float64{0, 1}, tt.ref, tt.cur, -0.5, 1.5, 1); !math.IsNaN(got) {
				t.Errorf("NormedWasserstein = %v, want NaN", got)
			}
		})
	}
}
