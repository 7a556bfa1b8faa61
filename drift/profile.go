package drift

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// FileName is the name `berth drift profile` gives a reference profile
// inside a model directory.
const FileName = "drift_reference.json"

// ProfileVersion is the format version written into [Profile.Version].
const ProfileVersion = 1

// Kind says how a feature is profiled and compared.
type Kind string

// The kinds of feature.
const (
	Numeric     Kind = "numeric"
	Categorical Kind = "categorical"
)

// OtherCategory names the bucket that counts the categories beyond the
// reference's top k.
const OtherCategory = "__other__"

// ErrIncompatible is returned when two profiles do not share bin edges or
// features, so they cannot be merged or compared.
var ErrIncompatible = errors.New("incompatible profiles")

// Profile is the summary of one data set: the reference a model was trained
// or validated on, or a current window of production data.
type Profile struct {
	Version  int       `json:"version"`
	Features []Feature `json:"features"`
	// Outputs profiles the model's outputs, when they were computed.
	Outputs []Feature `json:"outputs,omitempty"`
}

// Feature is the profile of one column.
type Feature struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Type is the MLflow column type from the signature, if known.
	Type  string `json:"type,omitempty"`
	Count int64  `json:"count"` // values that are not null
	Nulls int64  `json:"nulls"` // NaN, empty or missing values
	// Source says which part of which input tensor feeds the feature,
	// for a model whose inputs are tensors; nil for a named column.
	Source *Source `json:"source,omitempty"`

	Numeric     *NumericStats     `json:"numeric,omitempty"`
	Categorical *CategoricalStats `json:"categorical,omitempty"`
}

// NumericStats summarises a numeric feature. Min, Max, Mean and Variance
// are 0 when Count is 0.
type NumericStats struct {
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	// Variance is the population variance (ddof=0).
	Variance float64 `json:"variance"`
	// Edges are the sorted, distinct bin edges; Counts has
	// max(len(Edges)-1, 1)+2 entries: values below Edges[0], one per bin
	// [Edges[i], Edges[i+1]) with the last bin closed, and values above
	// the last edge. With a single edge there is one bin holding exactly
	// it; with no values, both are empty.
	Edges  []float64 `json:"edges"`
	Counts []int64   `json:"counts"`
}

// CategoricalStats summarises a categorical feature: Counts[i] is the
// frequency of Categories[i]; Other counts every other value.
type CategoricalStats struct {
	Categories []string `json:"categories"`
	Counts     []int64  `json:"counts"`
	Other      int64    `json:"other"`
}

// Feature returns the input feature called name, or nil.
func (p *Profile) Feature(name string) *Feature { return featureNamed(p.Features, name) }

// Output returns the output column called name, or nil.
func (p *Profile) Output(name string) *Feature { return featureNamed(p.Outputs, name) }

func featureNamed(fs []Feature, name string) *Feature {
	for i := range fs {
		if fs[i].Name == name {
			return &fs[i]
		}
	}
	return nil
}

// Validate checks that p is well formed: each feature has the statistics
// of its kind, sorted finite edges, and counts that fit them. Profiles
// read from files should be validated before use; [Merge] and [Compare]
// do so.
func (p *Profile) Validate() error {
	for _, fs := range [][]Feature{p.Features, p.Outputs} {
		for i := range fs {
			if err := fs[i].validate(); err != nil {
				return fmt.Errorf("feature %q: %w", fs[i].Name, err)
			}
		}
	}
	return nil
}

func (f *Feature) validate() error {
	if f.Count < 0 || f.Nulls < 0 {
		return errors.New("negative count")
	}
	if f.Source != nil {
		if err := f.Source.validate(); err != nil {
			return err
		}
	}
	switch f.Kind {
	case Numeric:
		n := f.Numeric
		if n == nil || f.Categorical != nil {
			return errors.New("a numeric feature needs numeric statistics only")
		}
		for i, e := range n.Edges {
			if math.IsNaN(e) || math.IsInf(e, 0) || (i > 0 && e <= n.Edges[i-1]) {
				return errors.New("bin edges are not finite and strictly increasing")
			}
		}
		want := 0
		if len(n.Edges) > 0 {
			want = interiorBins(n.Edges) + 2
		}
		if len(n.Counts) != want {
			return fmt.Errorf("%d bin counts for %d edges, want %d", len(n.Counts), len(n.Edges), want)
		}
		return nonNegative(n.Counts)
	case Categorical:
		c := f.Categorical
		if c == nil || f.Numeric != nil {
			return errors.New("a categorical feature needs categorical statistics only")
		}
		if len(c.Counts) != len(c.Categories) || c.Other < 0 {
			return fmt.Errorf("%d counts for %d categories", len(c.Counts), len(c.Categories))
		}
		return nonNegative(c.Counts)
	}
	return fmt.Errorf("unknown kind %q", f.Kind)
}

func nonNegative(counts []int64) error {
	for _, c := range counts {
		if c < 0 {
			return errors.New("negative count")
		}
	}
	return nil
}

// interiorBins is the number of bins between the first and last edge.
func interiorBins(edges []float64) int { return max(len(edges)-1, 1) }

// binIndex returns the histogram slot of x for edges (see NumericStats).
func binIndex(edges []float64, x float64) int {
	b := interiorBins(edges)
	if x < edges[0] {
		return 0
	}
	if x > edges[len(edges)-1] {
		return b + 1
	}
	// number of edges <= x, as numpy.searchsorted(side="right")
	i, found := slices.BinarySearch(edges, x)
	if found {
		i++
	}
	return min(i, b)
}

// Merge returns the profile of the union of the data behind a and b.
// Numeric features must share bin edges (profile both against the same
// reference). Categorical features are merged by name; where the union
// has more than topK categories (the larger of the two lists, at least
// [DefaultTopK]) the rarest go to the other bucket, which makes the merge
// approximate only in which categories are kept.
func Merge(a, b *Profile) (*Profile, error) {
	for _, p := range []*Profile{a, b} {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("merging: %w", err)
		}
	}
	feats, err := mergeFeatures(a.Features, b.Features)
	if err != nil {
		return nil, err
	}
	outs, err := mergeFeatures(a.Outputs, b.Outputs)
	if err != nil {
		return nil, err
	}
	return &Profile{Version: ProfileVersion, Features: feats, Outputs: outs}, nil
}

func mergeFeatures(a, b []Feature) ([]Feature, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("merging %d features with %d: %w", len(a), len(b), ErrIncompatible)
	}
	out := make([]Feature, len(a))
	for i := range a {
		f, err := mergeFeature(&a[i], &b[i])
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

func mergeFeature(a, b *Feature) (Feature, error) {
	if a.Name != b.Name || a.Kind != b.Kind {
		return Feature{}, fmt.Errorf("merging feature %q (%s) with %q (%s): %w", a.Name, a.Kind, b.Name, b.Kind, ErrIncompatible)
	}
	f := Feature{Name: a.Name, Kind: a.Kind, Type: a.Type, Count: a.Count + b.Count, Nulls: a.Nulls + b.Nulls, Source: a.Source}
	switch {
	case a.Numeric != nil && b.Numeric != nil:
		n, err := mergeNumeric(a, b)
		if err != nil {
			return Feature{}, fmt.Errorf("merging feature %q: %w", a.Name, err)
		}
		f.Numeric = n
	case a.Categorical != nil && b.Categorical != nil:
		f.Categorical = mergeCategorical(a.Categorical, b.Categorical)
	default:
		return Feature{}, fmt.Errorf("merging feature %q: %w", a.Name, ErrIncompatible)
	}
	return f, nil
}

func mergeNumeric(fa, fb *Feature) (*NumericStats, error) {
	a, b := fa.Numeric, fb.Numeric
	if !slices.Equal(a.Edges, b.Edges) || len(a.Counts) != len(b.Counts) {
		return nil, fmt.Errorf("bin edges differ: %w", ErrIncompatible)
	}
	if fa.Count == 0 {
		return cloneNumeric(b), nil
	}
	if fb.Count == 0 {
		return cloneNumeric(a), nil
	}
	// Chan et al.'s parallel update of the mean and sum of squares.
	na, nb := float64(fa.Count), float64(fb.Count)
	n := na + nb
	delta := b.Mean - a.Mean
	m2 := a.Variance*na + b.Variance*nb + delta*delta*na*nb/n
	out := &NumericStats{
		Min:      math.Min(a.Min, b.Min),
		Max:      math.Max(a.Max, b.Max),
		Mean:     a.Mean + delta*nb/n,
		Variance: m2 / n,
		Edges:    slices.Clone(a.Edges),
		Counts:   make([]int64, len(a.Counts)),
	}
	for i := range a.Counts {
		out.Counts[i] = a.Counts[i] + b.Counts[i]
	}
	return out, nil
}

func cloneNumeric(n *NumericStats) *NumericStats {
	c := *n
	c.Edges, c.Counts = slices.Clone(n.Edges), slices.Clone(n.Counts)
	return &c
}

func mergeCategorical(a, b *CategoricalStats) *CategoricalStats {
	if slices.Equal(a.Categories, b.Categories) { // both against one reference: exact
		out := &CategoricalStats{Categories: slices.Clone(a.Categories), Counts: make([]int64, len(a.Counts)), Other: a.Other + b.Other}
		for i := range a.Counts {
			out.Counts[i] = a.Counts[i] + b.Counts[i]
		}
		return out
	}
	counts := map[string]int64{}
	for i, c := range a.Categories {
		counts[c] += a.Counts[i]
	}
	for i, c := range b.Categories {
		counts[c] += b.Counts[i]
	}
	topK := max(len(a.Categories), len(b.Categories), DefaultTopK)
	return topCategories(counts, a.Other+b.Other, topK)
}

// topCategories keeps the k most frequent categories (ties by name) and
// adds the rest to other.
func topCategories(counts map[string]int64, other int64, k int) *CategoricalStats {
	names := make([]string, 0, len(counts))
	for c := range counts {
		names = append(names, c)
	}
	slices.SortFunc(names, func(x, y string) int {
		if c := cmp.Compare(counts[y], counts[x]); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	out := &CategoricalStats{Categories: []string{}, Counts: []int64{}, Other: other}
	for i, c := range names {
		if i >= k {
			out.Other += counts[c]
			continue
		}
		out.Categories = append(out.Categories, c)
		out.Counts = append(out.Counts, counts[c])
	}
	return out
}
