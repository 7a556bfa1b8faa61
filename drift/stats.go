package drift

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// PSIEpsilon replaces a zero bin proportion in [PSI], as Evidently does, so
// that an empty bin on one side gives a large but finite term.
const PSIEpsilon = 1e-4

// proportions returns counts/sum(counts), or nil when the sum is 0.
func proportions(counts []int64) []float64 {
	var n int64
	for _, c := range counts {
		n += c
	}
	if n == 0 {
		return nil
	}
	p := make([]float64, len(counts))
	for i, c := range counts {
		p[i] = float64(c) / float64(n)
	}
	return p
}

// totals returns the sums of two tables of bin counts, with ok false
// when their lengths differ or either side is empty: the tests below are
// then NaN.
func totals(reference, current []int64) (n, m int64, ok bool) {
	if len(reference) != len(current) {
		return 0, 0, false
	}
	for i := range reference {
		n += reference[i]
		m += current[i]
	}
	return n, m, n > 0 && m > 0
}

// PSI returns the population stability index of current against reference
// bin counts: Σ (cᵢ − rᵢ)·ln(cᵢ/rᵢ) over the bin proportions, with a zero
// proportion replaced by [PSIEpsilon]. It is NaN when either side is empty.
func PSI(reference, current []int64) float64 {
	p, q := proportions(reference), proportions(current)
	if p == nil || q == nil || len(p) != len(q) {
		return math.NaN()
	}
	var s float64
	for i := range p {
		r, c := p[i], q[i]
		if r == 0 {
			r = PSIEpsilon
		}
		if c == 0 {
			c = PSIEpsilon
		}
		s += (c - r) * math.Log(c/r)
	}
	return s
}

// KS returns the two-sample Kolmogorov–Smirnov statistic of binned data
// (the largest gap between the two empirical CDFs at the bin edges) and
// its asymptotic p-value: the Kolmogorov distribution's survival function
// at √(n·m/(n+m))·D, as scipy.stats.kstwobign.sf. Values sharing a bin
// count as ties, so D is a lower bound on the raw samples' statistic.
func KS(reference, current []int64) (d, pvalue float64) {
	n, m, ok := totals(reference, current)
	if !ok {
		return math.NaN(), math.NaN()
	}
	var cr, cc int64
	for i := range reference {
		cr += reference[i]
		cc += current[i]
		d = math.Max(d, math.Abs(float64(cr)/float64(n)-float64(cc)/float64(m)))
	}
	en := float64(n) * float64(m) / float64(n+m)
	return d, KolmogorovSF(math.Sqrt(en) * d)
}

// KolmogorovSF returns P(K > x) for the limiting Kolmogorov distribution
// of √n·Dₙ.
func KolmogorovSF(x float64) float64 {
	if x <= 0 {
		return 1
	}
	if x < 1 {
		// P(K ≤ x) = √(2π)/x · Σ exp(−(2k−1)²π²/(8x²)); fast for small x.
		var s float64
		for k := 1; k < 100; k++ {
			t := math.Exp(-float64((2*k-1)*(2*k-1)) * math.Pi * math.Pi / (8 * x * x))
			s += t
			if t < 1e-18*s {
				break
			}
		}
		return 1 - math.Sqrt(2*math.Pi)/x*s
	}
	// P(K > x) = 2 Σ (−1)^(k−1) exp(−2k²x²)
	var s float64
	sign := 1.0
	for k := 1; k < 100; k++ {
		t := math.Exp(-2 * float64(k*k) * x * x)
		s += sign * t
		if t < 1e-18 {
			break
		}
		sign = -sign
	}
	return math.Max(0, math.Min(1, 2*s))
}

// JSDistance returns the Jensen–Shannon distance, in base 2 (so between 0
// and 1), of the two distributions given by counts: the square root of the
// JS divergence, as scipy.spatial.distance.jensenshannon(p, q, base=2).
func JSDistance(reference, current []int64) float64 {
	p, q := proportions(reference), proportions(current)
	if p == nil || q == nil || len(p) != len(q) {
		return math.NaN()
	}
	var s float64
	for i := range p {
		m := (p[i] + q[i]) / 2
		s += relEntr(p[i], m) + relEntr(q[i], m)
	}
	return math.Sqrt(math.Max(0, s/2/math.Ln2))
}

func relEntr(x, y float64) float64 {
	if x == 0 {
		return 0
	}
	return x * math.Log(x/y)
}

// ChiSquared returns Pearson's chi-squared statistic and p-value for the
// 2×k contingency table of reference and current category counts (a test
// of homogeneity, as scipy.stats.chi2_contingency with correction=False).
// Categories empty on both sides are dropped; the degrees of freedom are
// the remaining categories less one. With fewer than two categories the
// statistic is 0 and the p-value 1.
func ChiSquared(reference, current []int64) (chi2, pvalue float64) {
	n, m, ok := totals(reference, current)
	if !ok {
		return math.NaN(), math.NaN()
	}
	total := float64(n + m)
	k := 0
	for i := range reference {
		col := float64(reference[i] + current[i])
		if col == 0 {
			continue
		}
		k++
		er, ec := float64(n)*col/total, float64(m)*col/total
		dr, dc := float64(reference[i])-er, float64(current[i])-ec
		chi2 += dr*dr/er + dc*dc/ec
	}
	if k < 2 {
		return 0, 1
	}
	return chi2, GammaQ(float64(k-1)/2, chi2/2)
}

// GammaQ returns the regularized upper incomplete gamma function Q(a, x),
// so that the chi-squared survival function with k degrees of freedom at
// x is GammaQ(k/2, x/2). It is gonum's [mathext.GammaIncRegComp] (Cephes
// igamc, within 1e-14 of scipy.special.gammaincc on the tests' values and
// as fast as the series/continued fraction it replaced), except that
// arguments outside its domain (a ≤ 0, x < 0, NaN) give NaN instead of a
// panic.
func GammaQ(a, x float64) float64 {
	switch {
	case x < 0 || a <= 0 || math.IsNaN(x) || math.IsNaN(a) || math.IsInf(a, 0):
		return math.NaN()
	case math.IsInf(x, 1):
		return 0
	}
	return mathext.GammaIncRegComp(a, x)
}

// NormedWasserstein returns the first Wasserstein (earth mover's)
// distance between two binned samples, divided by scale (the reference's
// standard deviation, as Evidently's wasserstein test). The counts are as
// [NumericStats.Counts] over edges; values are taken as spread evenly
// within each bin, the underflow bin spanning [lo, edges[0]] and the
// overflow bin [edges[last], hi] (lo and hi are the smallest and largest
// value of either side). It is NaN when a side is empty or scale is not
// positive.
func NormedWasserstein(edges []float64, reference, current []int64, lo, hi, scale float64) float64 {
	if len(edges) == 0 || len(reference) != len(current) || len(reference) != interiorBins(edges)+2 || !(scale > 0) {
		return math.NaN()
	}
	n, m, ok := totals(reference, current)
	if !ok {
		return math.NaN()
	}
	// bounds[i], bounds[i+1] enclose bin i.
	bounds := make([]float64, 0, len(reference)+1)
	bounds = append(bounds, math.Min(lo, edges[0]))
	bounds = append(bounds, edges...)
	if len(edges) == 1 {
		bounds = append(bounds, edges[0]) // the single bin holding exactly the edge
	}
	bounds = append(bounds, math.Max(hi, edges[len(edges)-1]))
	var w, cr, cc float64
	for i := range reference {
		a := cr/float64(n) - cc/float64(m)
		cr += float64(reference[i])
		cc += float64(current[i])
		b := cr/float64(n) - cc/float64(m)
		w += absLinearIntegral(a, b, bounds[i+1]-bounds[i])
	}
	return w / scale
}

// absLinearIntegral is ∫|f| over an interval of the given width on which
// f goes linearly from a to b.
func absLinearIntegral(a, b, width float64) float64 {
	if width <= 0 {
		return 0
	}
	if (a >= 0) == (b >= 0) {
		return math.Abs(a+b) / 2 * width
	}
	return (a*a + b*b) / (2 * (math.Abs(a) + math.Abs(b))) * width
}

// BenjaminiHochberg returns the Benjamini–Hochberg adjusted p-values of
// p (in the same order): rejecting every hypothesis whose adjusted
// p-value is at most q controls the false discovery rate at q, and, when
// no hypothesis is false, the chance of rejecting any at q. NaN p-values
// stay NaN and do not count as tests.
func BenjaminiHochberg(p []float64) []float64 {
	idx := make([]int, 0, len(p))
	for i, v := range p {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	adj := make([]float64, len(p))
	for i := range adj {
		adj[i] = math.NaN()
	}
	m := float64(len(idx))
	run := 1.0
	for k := len(idx) - 1; k >= 0; k-- {
		run = math.Min(run, p[idx[k]]*m/float64(k+1))
		adj[idx[k]] = run
	}
	return adj
}

// MergeBins merges adjacent bins of two aligned count vectors into at most
// k groups of about equal pooled count, for tests that need several
// values per bin. Bins empty on both sides join their neighbours.
func MergeBins(reference, current []int64, k int) (ref, cur []int64) {
	var total int64
	for i := range reference {
		total += reference[i] + current[i]
	}
	k = max(k, 1)
	if k >= len(reference) || total == 0 {
		return slices.Clone(reference), slices.Clone(current)
	}
	ref, cur = make([]int64, 0, k), make([]int64, 0, k)
	var cum, r, c int64
	open := false
	for i := range reference {
		r += reference[i]
		c += current[i]
		cum += reference[i] + current[i]
		open = true
		// close group g (0-based) once the pooled count reaches (g+1)/k of the total
		if g := int64(len(ref)); g < int64(k-1) && cum*int64(k) >= (g+1)*total && r+c > 0 {
			ref, cur = append(ref, r), append(cur, c)
			r, c, open = 0, 0, false
		}
	}
	if open {
		if r+c == 0 && len(ref) > 0 {
			return ref, cur
		}
		ref, cur = append(ref, r), append(cur, c)
	}
	return ref, cur
}
