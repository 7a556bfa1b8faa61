package drift_test

import (
	"encoding/csv"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/berthml/berth/drift"
)

// TestRandomHalvesDoNotDrift is the case: two random halves of
// the wine data set (90 and 88 rows, 13 features, one distribution). PSI
// on 20 equal-frequency bins flagged 13 of 13 features as drifted; the
// decision rule must flag none, or at most one feature in a rare split.
func TestRandomHalvesDoNotDrift(t *testing.T) {
	f, err := os.Open("../testdata/data/wine.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	names := recs[0][:13] // the last column is the target
	var cols []drift.Column
	for _, n := range names {
		cols = append(cols, drift.Column{Name: n, Kind: drift.Numeric})
	}
	rows := recs[1:]
	profile := func(idx []int, ref *drift.Profile) *drift.Profile {
		var opts []drift.Option
		if ref != nil {
			opts = append(opts, drift.WithReference(ref))
		}
		b := drift.NewBuilder(cols, opts...)
		for j, n := range names {
			vs := make([]float64, len(idx))
			for i, k := range idx {
				if vs[i], err = strconv.ParseFloat(rows[k][j], 64); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.AddFloats(n, vs); err != nil {
				t.Fatal(err)
			}
		}
		p, err := b.Profile()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := rand.New(rand.NewPCG(14, 14))
	const splits = 50
	drifted, oldDrifted := 0, 0
	for range splits {
		perm := r.Perm(len(rows))
		ref := profile(perm[:90], nil)
		cur := profile(perm[90:], ref)
		rep, err := drift.Compare(ref, cur, drift.DefaultThresholds())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Status == drift.StatusDrift {
			drifted++
		}
		for _, fr := range rep.Features {
			if drift.PSI(fr.Reference, fr.Current) >= 0.25 { // the old rule on 22 bins
				oldDrifted++
			}
		}
	}
	if drifted > 1 {
		t.Errorf("%d of %d random halves drift, want at most 1", drifted, splits)
	}
	if oldDrifted < splits*13*9/10 {
		t.Errorf("PSI on 22 bins ≥ 0.25 on %d of %d features: the data no longer shows the old rule's noise", oldDrifted, splits*13)
	}
	t.Logf("model drift in %d of %d splits; PSI on 22 bins ≥ 0.25 on %d of %d features", drifted, splits, oldDrifted, splits*13)
}
