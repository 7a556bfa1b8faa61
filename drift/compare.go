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

// Thresholds decide when a feature drifts. A zero or negative threshold
// disables its test. The defaults follow Evidently.
type Thresholds struct {
	PSIWarning float64 // PSI at or above this warns (default 0.1)
	PSIDrift   float64 // PSI at or above this drifts (default 0.25)
	KSPValue   float64 // a KS p-value below this drifts (default 0.05)
	JSDistance float64 // a JS distance at or above this drifts (default 0.1)
	// JSMinCount is the fewest values both sides need before the JS
	// distance may call drift (default 1000): with 22 bins, samples of a
	// few hundred from one distribution already sit near 0.13, so below
	// this JS is reported but does not vote, as Evidently uses it only on
	// large data.
	JSMinCount int64
	Chi2PValue float64 // a chi-squared p-value below this drifts (default 0.05)
	// DriftShare is the share of drifted features at or above which the
	// model drifts (default 0.5).
	DriftShare float64
}

// DefaultThresholds returns the default thresholds.
func DefaultThresholds() Thresholds {
	return Thresholds{PSIWarning: 0.1, PSIDrift: 0.25, KSPValue: 0.05, JSDistance: 0.1, JSMinCount: 1000, Chi2PValue: 0.05, DriftShare: 0.5}
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
	Drifted     bool     `json:"drifted"`
	Status      Status   `json:"status"`
	// Output marks a column of the model's outputs rather than an input.
	Output bool `json:"output,omitempty"`
	// Reference and Current are the aligned bin or category counts the
	// statistics were computed from; Labels names each.
	Labels    []string `json:"-"`
	Reference []int64  `json:"-"`
	Current   []int64  `json:"-"`
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
	// Features lists the input features, then the output columns
	// (marked Output) when both profiles have them.
	Features []FeatureResult `json:"features"`
}

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

// Compare compares current with reference feature by feature, and output
// column by output column when both profiles have outputs. Numeric
// features must share bin edges: build current with [WithReference].
// The model drifts when the share of drifted input features reaches
// th.DriftShare; it warns when any feature or output warns or drifts
// (drifting predictions alone are a warning: they may follow a change in
// what is asked of the model as much as a change in the world).
func Compare(reference, current *Profile, th Thresholds) (*Report, error) {
	for _, p := range []*Profile{reference, current} {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("comparing: %w", err)
		}
	}
	r := &Report{Thresholds: th, Features: make([]FeatureResult, 0, len(reference.Features)+len(reference.Outputs))}
	compare := func(rfs, cfs []Feature, output bool) error {
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
			switch {
			case fr.Drifted && output:
				r.DriftedOutputs++
			case fr.Drifted:
				r.DriftedFeatures++
			}
			r.Features = append(r.Features, fr)
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
	if r.DriftedFeatures > 0 && th.DriftShare > 0 && r.DriftShare >= th.DriftShare {
		r.Status = StatusDrift
	}
	return r, nil
}

func ptr(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func compareFeature(rf, cf *Feature, th Thresholds) (FeatureResult, error) {
	fr := FeatureResult{Feature: rf.Name, Kind: rf.Kind}
	jsVotes := min(rf.Count, cf.Count) >= th.JSMinCount
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
	case rf.Categorical != nil && cf.Categorical != nil:
		fr.Labels, fr.Reference, fr.Current = alignCategories(rf.Categorical, cf.Categorical)
		c, p := ChiSquared(fr.Reference, fr.Current)
		fr.Chi2, fr.Chi2PValue = ptr(c), ptr(p)
	default:
		return fr, fmt.Errorf("missing statistics: %w", ErrIncompatible)
	}
	fr.PSI = ptr(PSI(fr.Reference, fr.Current))
	fr.JSDistance = ptr(JSDistance(fr.Reference, fr.Current))

	below := func(v *float64, t float64) bool { return v != nil && t > 0 && *v < t }
	atLeast := func(v *float64, t float64) bool { return v != nil && t > 0 && *v >= t }
	fr.Drifted = atLeast(fr.PSI, th.PSIDrift) || below(fr.KSPValue, th.KSPValue) ||
		(jsVotes && atLeast(fr.JSDistance, th.JSDistance)) || below(fr.Chi2PValue, th.Chi2PValue)
	switch {
	case fr.Drifted:
		fr.Status = StatusDrift
	case atLeast(fr.PSI, th.PSIWarning):
		fr.Status = StatusWarning
	default:
		fr.Status = StatusOK
	}
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
