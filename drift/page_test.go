package drift

import (
	"testing"

	"github.com/berthml/berth/flavors"
)

// refXC profiles x = 0..999 (numeric) and c cycling a, b, c
// (categorical); the external tests reach it as RefXC.
func refXC(t *testing.T) *Profile {
	t.Helper()
	b := NewBuilder([]Column{{Name: "x", Type: flavors.ColDouble}, {Name: "c", Type: flavors.ColString}})
	xs, cs := make([]float64, 1000), make([]string, 1000)
	for i := range xs {
		xs[i], cs[i] = float64(i), []string{"a", "b", "c"}[i%3]
	}
	if err := b.AddFloats("x", xs); err != nil {
		t.Fatal(err)
	}
	if err := b.AddStrings("c", cs); err != nil {
		t.Fatal(err)
	}
	p, err := b.Profile()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWindowFeaturesReferenceOnly(t *testing.T) {
	ref := refXC(t)
	ref.Outputs = []Feature{{Name: "y", Kind: Categorical, Count: 3, Categorical: &CategoricalStats{Categories: []string{"0"}, Counts: []int64{2}, Other: 1}}}
	fs := WindowFeatures(ref, nil)
	if len(fs) != 3 || fs[0].Feature != "x" || fs[1].Feature != "c" || fs[2].Feature != "y" || fs[1].Output || !fs[2].Output {
		t.Fatalf("features = %+v", fs)
	}
	if len(fs[0].Reference) != len(ref.Features[0].Numeric.Counts) || len(fs[0].Labels) != len(fs[0].Reference) || fs[0].Current != nil {
		t.Errorf("x = %+v", fs[0])
	}
	if got := fs[2].Labels; len(got) != 2 || got[1] != OtherCategory {
		t.Errorf("y labels = %v", got)
	}
	if got := WindowFeatures(nil, nil); got != nil {
		t.Errorf("features without a reference = %v", got)
	}
}
