package drift_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

var mergeColumns = []drift.Column{
	{Name: "x", Type: flavors.ColDouble},
	{Name: "c", Type: flavors.ColString},
	{Name: "k", Type: flavors.ColLong},
}

func build(t *testing.T, xs []float64, cs []string, ks []float64, opts ...drift.Option) *drift.Profile {
	t.Helper()
	b := drift.NewBuilder(mergeColumns, opts...)
	if err := b.AddFloats("x", xs); err != nil {
		t.Fatal(err)
	}
	if err := b.AddStrings("c", cs); err != nil {
		t.Fatal(err)
	}
	if err := b.AddFloats("k", ks); err != nil {
		t.Fatal(err)
	}
	p, err := b.Profile()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func randomData(r *rand.Rand, n int) ([]float64, []string, []float64) {
	xs, cs, ks := make([]float64, n), make([]string, n), make([]float64, n)
	for i := range n {
		xs[i] = r.NormFloat64()*3 + 10
		if i%17 == 0 {
			xs[i] = math.NaN()
		}
		cs[i] = string(rune('a' + r.IntN(5)))
		ks[i] = float64(r.IntN(4))
	}
	return xs, cs, ks
}

func TestMergeEqualsProfileOfUnion(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	xr, cr, kr := randomData(r, 500)
	ref := build(t, xr, cr, kr)
	xa, ca, ka := randomData(r, 300)
	xb, cb, kb := randomData(r, 211)
	xb = append(xb, 1e6, -1e6) // under- and overflow
	cb = append(cb, "new", "new")
	kb = append(kb, 9, 9)
	a := build(t, xa, ca, ka, drift.WithReference(ref))
	b := build(t, xb, cb, kb, drift.WithReference(ref))
	union := build(t, append(slices.Clone(xa), xb...), append(slices.Clone(ca), cb...), append(slices.Clone(ka), kb...), drift.WithReference(ref))
	merged, err := drift.Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range union.Features {
		got := merged.Features[i]
		if got.Count != want.Count || got.Nulls != want.Nulls || got.Kind != want.Kind {
			t.Errorf("%s: count/nulls/kind %d/%d/%s, want %d/%d/%s", want.Name, got.Count, got.Nulls, got.Kind, want.Count, want.Nulls, want.Kind)
		}
		if want.Categorical != nil && !reflect.DeepEqual(got.Categorical, want.Categorical) {
			t.Errorf("%s: categorical %+v, want %+v", want.Name, got.Categorical, want.Categorical)
		}
		if want.Numeric == nil {
			continue
		}
		g, w := got.Numeric, want.Numeric
		if !slices.Equal(g.Counts, w.Counts) || !slices.Equal(g.Edges, w.Edges) || g.Min != w.Min || g.Max != w.Max {
			t.Errorf("%s: histogram %+v, want %+v", want.Name, g, w)
		}
		if math.Abs(g.Mean-w.Mean) > 1e-9 || math.Abs(g.Variance-w.Variance) > 1e-9*w.Variance {
			t.Errorf("%s: mean %v var %v, want %v %v", want.Name, g.Mean, g.Variance, w.Mean, w.Variance)
		}
	}
	if merged.Features[1].Categorical.Other != 2 {
		t.Errorf("unseen category not counted as other: %+v", merged.Features[1].Categorical)
	}
	if merged.Features[2].Kind != drift.Categorical {
		t.Errorf("a long column with 4 values is %s, want categorical", merged.Features[2].Kind)
	}
}

func TestMergeOwnCategoriesKeepsTopK(t *testing.T) {
	a := build(t, []float64{1}, []string{"a", "a", "b"}, []float64{1}, drift.WithTopK(2))
	b := build(t, []float64{1}, []string{"c", "c", "c", "b"}, []float64{1}, drift.WithTopK(2))
	m, err := drift.Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Features[1].Categorical
	// with topK max(2, 2, DefaultTopK) all three survive
	want := &drift.CategoricalStats{Categories: []string{"c", "a", "b"}, Counts: []int64{3, 2, 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestMergeIncompatible(t *testing.T) {
	a := build(t, []float64{1, 2, 3}, nil, nil)
	b := build(t, []float64{4, 5, 6}, nil, nil)
	if _, err := drift.Merge(a, b); !errors.Is(err, drift.ErrIncompatible) {
		t.Errorf("merging profiles with their own edges: err = %v, want ErrIncompatible", err)
	}
	c := &drift.Profile{Features: a.Features[:1]}
	if _, err := drift.Merge(a, c); !errors.Is(err, drift.ErrIncompatible) {
		t.Errorf("merging different feature lists: err = %v, want ErrIncompatible", err)
	}
}

func TestProfileJSONRoundTrip(t *testing.T) {
	p := build(t, []float64{1, 2, 2, 3, math.NaN()}, []string{"x"}, []float64{7, 7})
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q drift.Profile
	if err := json.Unmarshal(data, &q); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, &q) {
		t.Errorf("round trip changed the profile:\n%+v\n%+v", p, &q)
	}
	x := q.Feature("x")
	if x.Count != 4 || x.Nulls != 1 || x.Numeric.Min != 1 || x.Numeric.Max != 3 || x.Numeric.Mean != 2 || x.Numeric.Variance != 0.5 {
		t.Errorf("x = %+v %+v", x, x.Numeric)
	}
}

func TestBuilderEdgeCases(t *testing.T) {
	t.Run("constant column", func(t *testing.T) {
		p := build(t, []float64{5, 5, 5}, nil, nil)
		n := p.Feature("x").Numeric
		if !slices.Equal(n.Edges, []float64{5}) || !slices.Equal(n.Counts, []int64{0, 3, 0}) {
			t.Errorf("edges %v counts %v", n.Edges, n.Counts)
		}
		cur := build(t, []float64{4, 5, 6, 6}, nil, nil, drift.WithReference(p))
		if got := cur.Feature("x").Numeric.Counts; !slices.Equal(got, []int64{1, 1, 2}) {
			t.Errorf("current counts %v", got)
		}
	})
	t.Run("empty column", func(t *testing.T) {
		p := build(t, nil, nil, nil)
		if f := p.Feature("x"); f.Count != 0 || len(f.Numeric.Edges) != 0 {
			t.Errorf("empty feature %+v", f.Numeric)
		}
		rep, err := drift.Compare(p, p, drift.DefaultThresholds())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Features[0].PSI != nil || rep.Features[0].Status != drift.StatusOK {
			t.Errorf("empty feature result %+v", rep.Features[0])
		}
	})
	t.Run("errors", func(t *testing.T) {
		b := drift.NewBuilder(mergeColumns)
		if err := b.AddFloats("nope", nil); err == nil {
			t.Error("AddFloats to an unknown column succeeded")
		}
		if err := b.AddFloats("c", []float64{1}); err == nil {
			t.Error("AddFloats to a string column succeeded")
		}
		if err := b.AddStrings("x", []string{"a"}); err == nil {
			t.Error("AddStrings to a double column succeeded")
		}
		if err := b.AddFloats("x", []float64{math.Inf(1)}); err == nil {
			t.Error("AddFloats took +Inf")
		}
		other := &drift.Profile{}
		if _, err := drift.NewBuilder(mergeColumns, drift.WithReference(other)).Profile(); err == nil {
			t.Error("profiling against a reference without the features succeeded")
		}
	})
}

func TestColumnsFromSchema(t *testing.T) {
	s := &flavors.Schema{Columns: []flavors.ColSpec{{Name: "a", Type: flavors.ColFloat}, {Name: "b", Type: flavors.ColString}}}
	cols, err := drift.ColumnsFromSchema(s)
	if err != nil || len(cols) != 2 || cols[1].Type != flavors.ColString {
		t.Errorf("ColumnsFromSchema = %+v, %v", cols, err)
	}
	for name, s := range map[string]*flavors.Schema{
		"nil":       nil,
		"tensor":    {Tensors: []flavors.TensorSpec{{DType: flavors.Float32}}},
		"unnamed":   {Columns: []flavors.ColSpec{{Type: flavors.ColFloat}}},
		"composite": {Columns: []flavors.ColSpec{{Name: "a", Type: "array"}}},
	} {
		if _, err := drift.ColumnsFromSchema(s); err == nil {
			t.Errorf("%s schema: no error", name)
		}
	}
}

func TestValidate(t *testing.T) {
	num := func(edges []float64, counts []int64) drift.Feature {
		return drift.Feature{Name: "f", Kind: drift.Numeric, Numeric: &drift.NumericStats{Edges: edges, Counts: counts}}
	}
	cat := func(cats []string, counts []int64) drift.Feature {
		return drift.Feature{Name: "f", Kind: drift.Categorical, Categorical: &drift.CategoricalStats{Categories: cats, Counts: counts}}
	}
	tests := []struct {
		name string
		f    drift.Feature
		ok   bool
	}{
		{"numeric", num([]float64{0, 1, 2}, []int64{0, 1, 2, 0}), true},
		{"single edge", num([]float64{3}, []int64{0, 4, 0}), true},
		{"empty", num([]float64{}, []int64{}), true},
		{"categorical", cat([]string{"a"}, []int64{2}), true},
		{"short counts", num([]float64{0, 1, 2}, []int64{0, 1, 2}), false},
		{"unsorted edges", num([]float64{0, 2, 1}, []int64{0, 1, 2, 0}), false},
		{"NaN edge", num([]float64{0, math.NaN()}, []int64{0, 1, 0}), false},
		{"negative count", num([]float64{0, 1}, []int64{0, -1, 0}), false},
		{"ragged categories", cat([]string{"a", "b"}, []int64{2}), false},
		{"no stats", drift.Feature{Name: "f", Kind: drift.Numeric}, false},
		{"unknown kind", drift.Feature{Name: "f", Kind: "text"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &drift.Profile{Features: []drift.Feature{tt.f}}
			err := p.Validate()
			if (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				if _, err := drift.Compare(p, p, drift.DefaultThresholds()); err == nil {
					t.Error("Compare accepted an invalid profile")
				}
			}
		})
	}
}
