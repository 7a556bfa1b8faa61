package drift

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/berthml/berth/flavors"
)

// Defaults of the builder options.
const (
	DefaultBins           = 20
	DefaultTopK           = 50
	DefaultMaxIntDistinct = 20
)

// MaxAbsValue is the largest magnitude a numeric value may have, so that
// sums of squares stay finite.
const MaxAbsValue = 1e150

// Column describes one feature to profile.
type Column struct {
	Name string
	// Type is the MLflow column type; it picks the kind when Kind is empty.
	Type flavors.ColType
	// Kind forces numeric or categorical; empty means: strings, binary,
	// datetimes and booleans are categorical, floats numeric, and integers
	// categorical when they take at most [WithMaxIntDistinct] values.
	Kind Kind
	// Source is the part of a model input tensor that feeds the column,
	// for models whose inputs are tensors; nil for a named column.
	Source *Source
}

// ColumnsFromSchema returns the columns of a named column-based signature
// schema. Tensor-based schemas have no column names and are refused:
// [TensorInputs] describes their inputs.
func ColumnsFromSchema(s *flavors.Schema) ([]Column, error) {
	if s == nil || len(s.Columns) == 0 {
		return nil, fmt.Errorf("the signature has no named input columns (profile a tensor-based one by its inputs: TensorInputs)")
	}
	cols := make([]Column, 0, len(s.Columns))
	for i, c := range s.Columns {
		if c.Name == "" {
			return nil, fmt.Errorf("signature column %d has no name", i)
		}
		if _, ok := c.Type.DType(); !ok {
			return nil, fmt.Errorf("signature column %q has type %q, which cannot be profiled", c.Name, c.Type)
		}
		cols = append(cols, Column{Name: c.Name, Type: c.Type})
	}
	return cols, nil
}

// isText reports whether values of type t are read as strings.
func isText(t flavors.ColType) bool {
	switch t {
	case flavors.ColString, flavors.ColBinary, flavors.ColDatetime, flavors.ColBoolean:
		return true
	}
	return false
}

// Option configures a [Builder].
type Option func(*options)

type options struct {
	bins, topK, maxIntDistinct int
	ref                        *Profile
}

// WithBins sets the number of equal-frequency bins of numeric features
// (default [DefaultBins]). Ties can merge bins.
func WithBins(n int) Option { return func(o *options) { o.bins = max(n, 1) } }

// WithTopK sets how many categories are kept (default [DefaultTopK]).
func WithTopK(k int) Option { return func(o *options) { o.topK = max(k, 1) } }

// WithMaxIntDistinct sets how many distinct values an integer column may
// take and still be categorical (default [DefaultMaxIntDistinct]).
func WithMaxIntDistinct(n int) Option { return func(o *options) { o.maxIntDistinct = n } }

// WithReference profiles against ref: each feature takes the reference's
// kind, bin edges and categories, so the result can be compared with and
// merged into profiles made the same way. Default: none, the builder
// derives edges and categories from its own data.
func WithReference(ref *Profile) Option { return func(o *options) { o.ref = ref } }

// Builder collects columns of values and turns them into a [Profile]. It
// keeps the values until [Builder.Profile], since the bin edges are
// quantiles of all of them.
type Builder struct {
	opts options
	cols []*colBuf
	byNm map[string]*colBuf
}

type colBuf struct {
	col    Column
	floats []float64
	strs   []string
	nulls  int64
}

// NewBuilder returns a builder for the given columns.
func NewBuilder(cols []Column, opts ...Option) *Builder {
	b := &Builder{
		opts: options{bins: DefaultBins, topK: DefaultTopK, maxIntDistinct: DefaultMaxIntDistinct},
		byNm: map[string]*colBuf{},
	}
	for _, o := range opts {
		o(&b.opts)
	}
	for _, c := range cols {
		cb := &colBuf{col: c}
		b.cols = append(b.cols, cb)
		b.byNm[c.Name] = cb
	}
	return b
}

// Columns returns the builder's columns.
func (b *Builder) Columns() []Column {
	out := make([]Column, len(b.cols))
	for i, c := range b.cols {
		out[i] = c.col
	}
	return out
}

func (b *Builder) col(name string) (*colBuf, error) {
	c, ok := b.byNm[name]
	if !ok {
		return nil, fmt.Errorf("no column %q", name)
	}
	return c, nil
}

// AddFloats appends numeric values to a column; NaN counts as null.
// Infinite values and those beyond [MaxAbsValue] are refused.
func (b *Builder) AddFloats(name string, values []float64) error {
	c, err := b.col(name)
	if err != nil {
		return err
	}
	if isText(c.col.Type) {
		return fmt.Errorf("column %q has type %s and takes strings, not numbers", name, c.col.Type)
	}
	for _, v := range values {
		switch {
		case math.IsNaN(v):
			c.nulls++
		case math.IsInf(v, 0):
			return fmt.Errorf("column %q: %v is not a finite number", name, v)
		case math.Abs(v) > MaxAbsValue:
			return fmt.Errorf("column %q: %v is larger than %g in magnitude", name, v, MaxAbsValue)
		default:
			c.floats = append(c.floats, v)
		}
	}
	return nil
}

// AddStrings appends categorical values to a column of a text type
// (string, binary, datetime, boolean) or of unknown type.
func (b *Builder) AddStrings(name string, values []string) error {
	c, err := b.col(name)
	if err != nil {
		return err
	}
	if c.col.Type != "" && !isText(c.col.Type) {
		return fmt.Errorf("column %q has type %s and takes numbers, not strings", name, c.col.Type)
	}
	c.strs = append(c.strs, values...)
	return nil
}

// AddNulls counts n missing values in a column.
func (b *Builder) AddNulls(name string, n int) error {
	c, err := b.col(name)
	if err != nil {
		return err
	}
	c.nulls += int64(n)
	return nil
}

// Profile summarises the values added so far.
func (b *Builder) Profile() (*Profile, error) {
	if b.opts.ref != nil {
		if err := b.opts.ref.Validate(); err != nil {
			return nil, fmt.Errorf("reference: %w", err)
		}
	}
	p := &Profile{Version: ProfileVersion, Features: make([]Feature, 0, len(b.cols))}
	for _, c := range b.cols {
		f, err := b.feature(c)
		if err != nil {
			return nil, fmt.Errorf("profiling %q: %w", c.col.Name, err)
		}
		p.Features = append(p.Features, f)
	}
	return p, nil
}

func (b *Builder) feature(c *colBuf) (Feature, error) {
	if len(c.floats) > 0 && len(c.strs) > 0 {
		return Feature{}, fmt.Errorf("both numbers and strings were added")
	}
	var ref *Feature
	if b.opts.ref != nil {
		if ref = b.opts.ref.Feature(c.col.Name); ref == nil {
			return Feature{}, fmt.Errorf("the reference has no such feature")
		}
	}
	kind := b.kind(c, ref)
	f := Feature{Name: c.col.Name, Kind: kind, Type: string(c.col.Type), Nulls: c.nulls, Source: c.col.Source}
	switch kind {
	case Numeric:
		if len(c.strs) > 0 {
			return Feature{}, fmt.Errorf("a numeric feature got strings")
		}
		if ref != nil && ref.Numeric == nil {
			return Feature{}, fmt.Errorf("the reference has no histogram")
		}
		f.Count = int64(len(c.floats))
		var edges []float64
		if ref != nil {
			edges = ref.Numeric.Edges
			if edges == nil {
				edges = []float64{} // an empty reference: never derive own edges
			}
		}
		f.Numeric = numericStats(c.floats, edges, b.opts.bins)
		if ref != nil && c.col.Type == flavors.ColFloat && len(edges) > 0 {
			rebinFloat32(f.Numeric, c.floats)
		}
	case Categorical:
		strs := c.strs
		if len(c.floats) > 0 {
			strs = formatFloats(c.floats)
		}
		f.Count = int64(len(strs))
		var cats []string
		if ref != nil {
			if ref.Categorical == nil {
				return Feature{}, fmt.Errorf("the reference has no categories")
			}
			cats = ref.Categorical.Categories
		}
		f.Categorical = categoricalStats(strs, cats, b.opts.topK)
	default:
		return Feature{}, fmt.Errorf("unknown kind %q", kind)
	}
	return f, nil
}

func (b *Builder) kind(c *colBuf, ref *Feature) Kind {
	switch {
	case ref != nil:
		return ref.Kind
	case c.col.Kind != "":
		return c.col.Kind
	case isText(c.col.Type), len(c.strs) > 0:
		return Categorical
	case c.col.Type == flavors.ColInteger || c.col.Type == flavors.ColLong:
		distinct := map[float64]struct{}{}
		for _, v := range c.floats {
			distinct[v] = struct{}{}
			if len(distinct) > b.opts.maxIntDistinct {
				return Numeric
			}
		}
		return Categorical
	}
	return Numeric
}

func formatFloats(vs []float64) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return out
}

// numericStats summarises xs, binning against edges, or against
// equal-frequency edges of xs itself when edges is nil.
func numericStats(xs []float64, edges []float64, bins int) *NumericStats {
	s := &NumericStats{}
	if len(xs) > 0 {
		s.Min, s.Max = xs[0], xs[0]
		var mean, m2 float64
		for i, x := range xs { // Welford
			s.Min, s.Max = math.Min(s.Min, x), math.Max(s.Max, x)
			d := x - mean
			mean += d / float64(i+1)
			m2 += d * (x - mean)
		}
		s.Mean, s.Variance = mean, m2/float64(len(xs))
	}
	if edges == nil {
		edges = quantileEdges(xs, bins)
	}
	s.Edges = slices.Clone(edges)
	if len(edges) == 0 {
		s.Edges, s.Counts = []float64{}, []int64{}
		return s
	}
	s.Counts = make([]int64, interiorBins(edges)+2)
	for _, x := range xs {
		s.Counts[binIndex(edges, x)]++
	}
	return s
}

// rebinFloat32 bins the values of a float (float32) column against a
// reference's edges at float32 precision, as the live monitor does: a
// value written out as float32's shortest decimal and read back must land
// in the bin of the float32 the reference saw.
func rebinFloat32(s *NumericStats, xs []float64) {
	edges := make([]float64, len(s.Edges))
	for i, e := range s.Edges {
		edges[i] = float64(float32(e))
	}
	clear(s.Counts)
	for _, x := range xs {
		s.Counts[binIndex(edges, float64(float32(x)))]++
	}
}

// quantileEdges returns the distinct quantiles i/bins, i = 0..bins, of xs,
// computed as numpy.quantile's default (linear) method does.
func quantileEdges(xs []float64, bins int) []float64 {
	if len(xs) == 0 {
		return nil
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	edges := make([]float64, 0, bins+1)
	for i := 0; i <= bins; i++ {
		q := float64(i) / float64(bins)
		e := quantile(sorted, q)
		if len(edges) == 0 || e > edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	return edges
}

// quantile mirrors numpy's method="linear": virtual index n*q + (1-q) - 1,
// and a lerp that is exact at both ends.
func quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	v := float64(n)*q + (1 - q) - 1
	lo := math.Floor(v)
	if lo < 0 {
		return sorted[0]
	}
	if int(lo) >= n-1 {
		return sorted[n-1]
	}
	t := v - lo
	a, b := sorted[int(lo)], sorted[int(lo)+1]
	d := b - a
	if t >= 0.5 {
		return b - d*(1-t)
	}
	return a + d*t
}

// categoricalStats counts strs; with cats given, those are the categories
// and every other value is other, else the topK most frequent are kept.
func categoricalStats(strs []string, cats []string, topK int) *CategoricalStats {
	counts := map[string]int64{}
	for _, s := range strs {
		counts[s]++
	}
	if cats == nil {
		return topCategories(counts, 0, topK)
	}
	out := &CategoricalStats{Categories: slices.Clone(cats), Counts: make([]int64, len(cats))}
	var known int64
	for i, c := range cats {
		out.Counts[i] = counts[c]
		known += counts[c]
	}
	out.Other = int64(len(strs)) - known
	return out
}
