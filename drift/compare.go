package drift

import (
	"fmt"
	"math"
	"slices"
)

// Status grades a feature or a whole model.
type Status string

// The statuses, from best to worst.
const (
	StatusOK      Status = "ok"
	StatusWarning Status = "warning"
	StatusDrift   Status = "drift"
)

// Thresholds parameterise the decision rule (see the package comment
// and docs/drift.md): which test judges a feature at which sample size,
// the false discovery rate of the window, and the sizes of change that
// count at large samples. A zero or negative threshold disables what it
// sets.
type Thresholds struct {
	// PSIWarning: a PSI at or above this warns (default 0.1), once the
	// samples are large enough for PSI's value under no drift to sit well
	// under it: PSI is computed on bins merged so that its expected value
	// under no drift, (bins−1)·(1/n+1/m), is at most PSIWarning/10, and
	// grades only from n·m/(n+m) ≥ 10/PSIWarning (100 values a side).
	PSIWarning float64
	// PSIDrift: at large samples, a PSI at or above this counts as a
	// change large enough to drift (default 0.25).
	PSIDrift float64
	// KSPValue is the false discovery rate q at which a numeric feature's
	// Kolmogorov–Smirnov p-value, adjusted by Benjamini–Hochberg over all
	// the p-values of the window's inputs, is significant (default 0.01).
	KSPValue float64
	// JSDistance: at large samples, a Jensen–Shannon distance at or above
	// this counts as a change large enough to drift (default 0.1).
	JSDistance float64
	// JSMinCount is the sample size (the fewer values of the two sides)
	// from which a significant feature must also have moved by a
	// distance to drift (default 1000): at or above it the p-values
	// flag changes too small to matter, so, as Evidently switches from KS
	// and chi-squared to distances above 1,000 rows, a numeric feature
	// needs a normed Wasserstein distance ≥ Wasserstein (or PSI ≥
	// PSIDrift) and a categorical one a JS distance ≥ JSDistance (or PSI
	// ≥ PSIDrift).
	JSMinCount int64
	// Chi2PValue is the false discovery rate q for chi-squared p-values
	// (of categorical features, and of numeric ones on their bins),
	// adjusted with the KS ones (default 0.01).
	Chi2PValue float64
	// Wasserstein: at large samples, a Wasserstein distance over the
	// reference's standard deviation at or above this counts as a change
	// large enough to drift (default 0.1, Evidently's).
	Wasserstein float64
	// DriftShare is the share of drifted input features at or above which
	// the model drifts (default 0: any drifted feature, since the
	// correction already bounds the chance that one drifts by noise).
	DriftShare float64
}

// DefaultThresholds returns the default thresholds.
func DefaultThresholds() Thresholds {
	return Thresholds{PSIWarning: 0.1, PSIDrift: 0.25, KSPValue: 0.01, JSDistance: 0.1, JSMinCount: 1000,
		Chi2PValue: 0.01, Wasserstein: 0.1, DriftShare: 0}
}

// FeatureResult holds the statistics of one feature; a statistic that does
// not apply to the feature's kind, or that cannot be computed because a
// side has no values, is nil.
type FeatureResult struct {
	Feature     string   `json:"feature"`
	Kind        Kind     `json:"kind"`
	PSI         *float64 `json:"psi"`
	KSStatistic *float64 `json:"ks_statistic"`
	KSPValue    *float64 `json:"ks_pvalue"`
	JSDistance  *float64 `json:"js_distance"`
	Chi2        *float64 `json:"chi2"`
	Chi2PValue  *float64 `json:"chi2_pvalue"`
	// Wasserstein is the Wasserstein distance over the reference's
	// standard deviation, for numeric features.
	Wasserstein *float64 `json:"wasserstein"`
	// KSPAdjusted and Chi2PAdjusted are the p-values adjusted by
	// Benjamini–Hochberg over the window's inputs (or outputs).
	KSPAdjusted   *float64 `json:"ks_pvalue_adjusted"`
	Chi2PAdjusted *float64 `json:"chi2_pvalue_adjusted"`
	// PSIBins is the number of merged bins PSI was computed on.
	PSIBins int `json:"psi_bins"`
	// Significant is true when an adjusted p-value is below its q;
	// Large when both sides hold at least JSMinCount values, so that
	// drift also needs a large enough distance.
	Significant bool   `json:"significant"`
	Large       bool   `json:"large_sample"`
	Drifted     bool   `json:"drifted"`
	Status      Status `json:"status"`
	// Output marks a column of the model's outputs rather than an input.
	Output bool `json:"output,omitempty"`
	// Reference and Current are the aligned bin or category counts the
	// statistics were computed from; Labels names each.
	Labels    []string `json:"-"`
	Reference []int64  `json:"-"`
	Current   []int64  `json:"-"`

	psiJudged bool
	n         int64 // the fewer values of the two sides
}

// Report is the outcome of [Compare].
type Report struct {
	Status Status `json:"status"`
	// DriftedFeatures and DriftShare count the input features only.
	DriftedFeatures int     `json:"drifted_features"`
	DriftShare      float64 `json:"drift_share"`
	// DriftedOutputs counts the drifted output columns.
	DriftedOutputs int        `json:"drifted_outputs"`
	Thresholds     Thresholds `json:"-"`
	// Rule says how the status was decided.
	Rule Rule `json:"rule"`
	// Features lists the input features, then the output columns
	// (marked Output) when both profiles have them.
	Features []FeatureResult `json:"features"`
}

// Rule describes the decision of a [Report]: the correction applied to
// the p-values of the window's inputs, at which false discovery rate,
// over how many tests, and from which sample size distances gate drift.
type Rule struct {
	Correction string  `json:"correction"` // "benjamini-hochberg"
	KSQ        float64 `json:"ks_q"`
	Chi2Q      float64 `json:"chi2_q"`
	Tests      int     `json:"tests"` // input p-values adjusted together
	// LargeSample is Thresholds.JSMinCount.
	LargeSample int64   `json:"large_sample"`
	DriftShare  float64 `json:"drift_share"`
}

// Correction names the multiple-testing correction of [Rule].
const Correction = "benjamini-hochberg"

// Inputs returns the number of input features in r.Features.
func (r *Report) Inputs() int {
	n := 0
	for _, f := range r.Features {
		if !f.Output {
			n++
		}
	}
	return n
}

// Summary says the report's verdict and the rule behind it in one line,
// such as "drift: 3 of 13 features after Benjamini–Hochberg at q=0.05".
func (r *Report) Summary() string {
	s := fmt.Sprintf("%s: %d of %d features after Benjamini–Hochberg at %s", r.Status, r.DriftedFeatures, r.Inputs(), r.Rule.qText())
	if r.Rule.DriftShare > 0 {
		s += fmt.Sprintf(", model drift from a share of %g", r.Rule.DriftShare)
	}
	if n := len(r.Features) - r.Inputs(); n > 0 {
		s += fmt.Sprintf("; %d of %d output columns", r.DriftedOutputs, n)
	}
	return s
}

func (r Rule) qText() string {
	switch {
	case r.KSQ == r.Chi2Q || r.Chi2Q <= 0:
		return fmt.Sprintf("q=%g", r.KSQ)
	case r.KSQ <= 0:
		return fmt.Sprintf("q=%g", r.Chi2Q)
	}
	return fmt.Sprintf("q=%g (KS), %g (χ²)", r.KSQ, r.Chi2Q)
}

// Compare compares current with reference feature by feature, and output
// column by output column when both profiles have outputs, and decides
// by the rule of th (docs/drift.md, "Decision rule"):
//
//   - A numeric feature gets a two-sample KS test and a chi-squared test
//     on its bins (merged to about five values a bin), a categorical one
//     a chi-squared test; all the input features' p-values are adjusted
//     together by Benjamini–Hochberg, and a feature is significant when
//     its adjusted p-value is below q (th.KSPValue, th.Chi2PValue).
//   - Below th.JSMinCount values a side, a significant feature drifts.
//     From it on, it drifts only when it also moved far enough: normed
//     Wasserstein ≥ th.Wasserstein (numeric), JS ≥ th.JSDistance
//     (categorical), or PSI ≥ th.PSIDrift; significant but smaller
//     changes warn.
//   - PSI is computed on bins merged to the sample size and warns at
//     th.PSIWarning once it can (see [Thresholds.PSIWarning]).
//   - The model drifts when at least one input feature drifts and their
//     share reaches th.DriftShare; it warns when any feature or output
//     warns or drifts (outputs, adjusted among themselves, never make
//     the model drift: they may follow a change in what is asked of the
//     model as much as a change in the world).
//
// Numeric features must share bin edges: build current with
// [WithReference].
func Compare(reference, current *Profile, th Thresholds) (*Report, error) {
	for _, p := range []*Profile{reference, current} {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("comparing: %w", err)
		}
	}
	r := &Report{Thresholds: th, Features: make([]FeatureResult, 0, len(reference.Features)+len(reference.Outputs)),
		Rule: Rule{Correction: Correction, KSQ: th.KSPValue, Chi2Q: th.Chi2PValue, LargeSample: th.JSMinCount, DriftShare: th.DriftShare}}
	compare := func(rfs, cfs []Feature, output bool) error {
		first := len(r.Features)
		for i := range rfs {
			rf := &rfs[i]
			cf := featureNamed(cfs, rf.Name)
			if cf == nil {
				what := "feature"
				if output {
					what = "output"
				}
				return fmt.Errorf("comparing: the current profile has no %s %q: %w", what, rf.Name, ErrIncompatible)
			}
			fr, err := compareFeature(rf, cf, th)
			if err != nil {
				return fmt.Errorf("comparing %q: %w", rf.Name, err)
			}
			fr.Output = output
			r.Features = append(r.Features, fr)
		}
		tests := decide(r.Features[first:], th)
		for _, fr := range r.Features[first:] {
			switch {
			case fr.Drifted && output:
				r.DriftedOutputs++
			case fr.Drifted:
				r.DriftedFeatures++
			}
		}
		if !output {
			r.Rule.Tests = tests
		}
		return nil
	}
	if err := compare(reference.Features, current.Features, false); err != nil {
		return nil, err
	}
	if len(reference.Outputs) > 0 && len(current.Outputs) > 0 {
		if err := compare(reference.Outputs, current.Outputs, true); err != nil {
			return nil, err
		}
	}
	r.Status = StatusOK
	if n := len(reference.Features); n > 0 {
		r.DriftShare = float64(r.DriftedFeatures) / float64(n)
	}
	for _, f := range r.Features {
		if f.Status != StatusOK {
			r.Status = StatusWarning
		}
	}
	if r.DriftedFeatures > 0 && r.DriftShare >= th.DriftShare {
		r.Status = StatusDrift
	}
	return r, nil
}

func ptr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// decide adjusts the p-values of fs together and grades each feature; it
// returns the number of p-values adjusted.
func decide(fs []FeatureResult, th Thresholds) int {
	ps := make([]float64, 0, 2*len(fs))
	for _, f := range fs {
		ks, chi := math.NaN(), math.NaN()
		if th.KSPValue > 0 {
			ks = val(f.KSPValue)
		}
		if th.Chi2PValue > 0 {
			chi = val(f.Chi2PValue)
		}
		ps = append(ps, ks, chi)
	}
	adj := BenjaminiHochberg(ps)
	tests := 0
	for _, v := range ps {
		if !math.IsNaN(v) {
			tests++
		}
	}
	below := func(v *float64, t float64) bool { return v != nil && t > 0 && *v < t }
	atLeast := func(v *float64, t float64) bool { return v != nil && t > 0 && *v >= t }
	for i := range fs {
		f := &fs[i]
		f.KSPAdjusted, f.Chi2PAdjusted = ptr(adj[2*i]), ptr(adj[2*i+1])
		f.Significant = below(f.KSPAdjusted, th.KSPValue) || below(f.Chi2PAdjusted, th.Chi2PValue)
		f.Large = th.JSMinCount > 0 && f.n >= th.JSMinCount
		psi := f.PSI
		if !f.psiJudged {
			psi = nil
		}
		gated := th.PSIDrift > 0 || th.JSDistance > 0 || (th.Wasserstein > 0 && f.Kind == Numeric)
		far := atLeast(psi, th.PSIDrift)
		switch f.Kind {
		case Numeric:
			far = far || atLeast(f.Wasserstein, th.Wasserstein)
			if f.Wasserstein == nil { // a constant reference: no scale to norm by
				far = far || atLeast(f.JSDistance, th.JSDistance)
			}
		default:
			far = far || atLeast(f.JSDistance, th.JSDistance)
		}
		f.Drifted = f.Significant && (!f.Large || !gated || far)
		switch {
		case f.Drifted:
			f.Status = StatusDrift
		case f.Significant, atLeast(psi, th.PSIWarning):
			f.Status = StatusWarning
		default:
			f.Status = StatusOK
		}
	}
	return tests
}

// psiBins is the number of bins PSI is computed on for samples of n and m
// values: the most, up to all, that keep PSI's expected value under no
// drift, (bins−1)·(1/n+1/m), at most warning/10; and whether that leaves
// PSI able to grade (at least two bins).
func psiBins(n, m int64, all int, warning float64) (int, bool) {
	if warning <= 0 || n == 0 || m == 0 {
		return all, false
	}
	eff := float64(n) * float64(m) / float64(n+m)
	k := 1 + int(math.Floor(eff*warning/10))
	return min(max(k, 2), all), k >= 2
}

func compareFeature(rf, cf *Feature, th Thresholds) (FeatureResult, error) {
	fr := FeatureResult{Feature: rf.Name, Kind: rf.Kind, n: min(rf.Count, cf.Count)}
	if cf.Kind != rf.Kind {
		return fr, fmt.Errorf("kinds differ (%s, %s): %w", rf.Kind, cf.Kind, ErrIncompatible)
	}
	switch {
	case rf.Numeric != nil && cf.Numeric != nil:
		if !slices.Equal(rf.Numeric.Edges, cf.Numeric.Edges) {
			return fr, fmt.Errorf("bin edges differ, profile the current data against the reference: %w", ErrIncompatible)
		}
		fr.Reference, fr.Current = rf.Numeric.Counts, cf.Numeric.Counts
		fr.Labels = binLabels(rf.Numeric.Edges)
		d, p := KS(fr.Reference, fr.Current)
		fr.KSStatistic, fr.KSPValue = ptr(d), ptr(p)
		if rf.Count > 0 && cf.Count > 0 {
			lo, hi := math.Min(rf.Numeric.Min, cf.Numeric.Min), math.Max(rf.Numeric.Max, cf.Numeric.Max)
			fr.Wasserstein = ptr(NormedWasserstein(rf.Numeric.Edges, fr.Reference, fr.Current, lo, hi, math.Sqrt(rf.Numeric.Variance)))
		}
		if fr.n > 0 { // chi-squared on the bins, merged to about five values a bin of the smaller side
			r, c := MergeBins(fr.Reference, fr.Current, int(fr.n/5))
			x, p := ChiSquared(r, c)
			fr.Chi2, fr.Chi2PValue = ptr(x), ptr(p)
		}
	case rf.Categorical != nil && cf.Categorical != nil:
		fr.Labels, fr.Reference, fr.Current = alignCategories(rf.Categorical, cf.Categorical)
		c, p := ChiSquared(fr.Reference, fr.Current)
		fr.Chi2, fr.Chi2PValue = ptr(c), ptr(p)
	default:
		return fr, fmt.Errorf("missing statistics: %w", ErrIncompatible)
	}
	k, judged := psiBins(rf.Count, cf.Count, len(fr.Reference), th.PSIWarning)
	pr, pc := MergeBins(fr.Reference, fr.Current, k)
	fr.PSI, fr.PSIBins, fr.psiJudged = ptr(PSI(pr, pc)), len(pr), judged
	fr.JSDistance = ptr(JSDistance(fr.Reference, fr.Current))
	return fr, nil
}

func binLabels(edges []float64) []string {
	if len(edges) == 0 {
		return nil
	}
	b := interiorBins(edges)
	out := make([]string, 0, b+2)
	out = append(out, fmt.Sprintf("< %.4g", edges[0]))
	if len(edges) == 1 {
		out = append(out, fmt.Sprintf("= %.4g", edges[0]))
	}
	for i := 0; i+1 < len(edges); i++ {
		out = append(out, fmt.Sprintf("[%.4g, %.4g)", edges[i], edges[i+1]))
	}
	return append(out, fmt.Sprintf("> %.4g", edges[len(edges)-1]))
}

// alignCategories lines up the categories of both sides by name: the
// reference's first, then any only the current has, then other.
func alignCategories(r, c *CategoricalStats) (labels []string, ref, cur []int64) {
	idx := map[string]int{}
	add := func(name string) int {
		i, ok := idx[name]
		if !ok {
			i = len(labels)
			idx[name] = i
			labels = append(labels, name)
			ref, cur = append(ref, 0), append(cur, 0)
		}
		return i
	}
	for i, name := range r.Categories {
		j := add(name)
		ref[j] += r.Counts[i]
	}
	for i, name := range c.Categories {
		j := add(name)
		cur[j] += c.Counts[i]
	}
	if r.Other > 0 || c.Other > 0 {
		i := add(OtherCategory)
		ref[i] += r.Other
		cur[i] += c.Other
	}
	return labels, ref, cur
}
