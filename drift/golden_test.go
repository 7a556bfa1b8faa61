package drift_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// golden is testdata/drift/golden.json, written by make_golden.py.
type golden struct {
	N, M     int
	Features map[string]struct {
		Kind            string
		Edges           []float64
		Categories      []string
		ReferenceCounts []int64 `json:"reference_counts"`
		CurrentCounts   []int64 `json:"current_counts"`
		PSI             float64
		KSStatistic     float64 `json:"ks_statistic"`
		KSPValue        float64 `json:"ks_pvalue"`
		KSBinnedStat    float64 `json:"ks_2samp_binned_statistic"`
		KSRawStat       float64 `json:"ks_2samp_raw_statistic"`
		KSRawPValue     float64 `json:"ks_2samp_raw_pvalue"`
		JSDistance      float64 `json:"js_distance"`
		Chi2            float64
		Chi2PValue      float64 `json:"chi2_pvalue"`
		Mean, Variance  float64
	}
}

var goldenColumns = []drift.Column{
	{Name: "sepal_length", Type: flavors.ColDouble},
	{Name: "sepal_width", Type: flavors.ColDouble},
	{Name: "petal_length", Type: flavors.ColDouble},
	{Name: "petal_width", Type: flavors.ColDouble},
	{Name: "species", Type: flavors.ColString},
}

const goldenDir = "../testdata/drift"

func profileFile(t *testing.T, name string, opts ...drift.Option) *drift.Profile {
	t.Helper()
	f, err := os.Open(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := drift.FromCSV(f, goldenColumns, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func loadGolden(t *testing.T) *golden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(goldenDir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func near(t *testing.T, what string, got *float64, want, tol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil, want %.17g", what, want)
		return
	}
	if math.Abs(*got-want) > tol {
		t.Errorf("%s = %.17g, want %.17g (scipy), diff %.3g", what, *got, want, *got-want)
	}
}

func TestGoldenAgainstScipy(t *testing.T) {
	g := loadGolden(t)
	ref := profileFile(t, "reference.csv")
	cur := profileFile(t, "current.csv", drift.WithReference(ref))
	rep, err := drift.Compare(ref, cur, drift.DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-9
	for _, fr := range rep.Features {
		t.Run(fr.Feature, func(t *testing.T) {
			want, ok := g.Features[fr.Feature]
			if !ok {
				t.Fatalf("no golden for %q", fr.Feature)
			}
			if string(fr.Kind) != want.Kind {
				t.Errorf("kind %s, want %s", fr.Kind, want.Kind)
			}
			if !slices.Equal(fr.Reference, want.ReferenceCounts) || !slices.Equal(fr.Current, want.CurrentCounts) {
				t.Errorf("counts\n got %v %v\nwant %v %v", fr.Reference, fr.Current, want.ReferenceCounts, want.CurrentCounts)
			}
			// PSI on the 22 bins matches scipy; the report's PSI is on the
			// bins merged to the sample sizes (600, 400: 3 bins)
			psi := drift.PSI(fr.Reference, fr.Current)
			near(t, "psi", &psi, want.PSI, tol)
			if fr.PSIBins != 3 {
				t.Errorf("psi on %d bins, want 3", fr.PSIBins)
			}
			mr, mc := drift.MergeBins(fr.Reference, fr.Current, fr.PSIBins)
			merged := drift.PSI(mr, mc)
			near(t, "psi on merged bins", fr.PSI, merged, tol)
			near(t, "js_distance", fr.JSDistance, want.JSDistance, tol)
			if want.Kind == "categorical" {
				near(t, "chi2", fr.Chi2, want.Chi2, tol)
				near(t, "chi2_pvalue", fr.Chi2PValue, want.Chi2PValue, tol)
				if got := ref.Feature(fr.Feature).Categorical.Categories; !slices.Equal(got, want.Categories) {
					t.Errorf("categories %q, want %q", got, want.Categories)
				}
				return
			}
			rf := ref.Feature(fr.Feature).Numeric
			if len(rf.Edges) != len(want.Edges) {
				t.Fatalf("edges %v, want %v", rf.Edges, want.Edges)
			}
			for i := range rf.Edges {
				e := rf.Edges[i]
				near(t, "edge", &e, want.Edges[i], 1e-12)
			}
			m, v := rf.Mean, rf.Variance
			near(t, "mean", &m, want.Mean, tol)
			near(t, "variance", &v, want.Variance, tol)
			near(t, "ks_statistic", fr.KSStatistic, want.KSStatistic, tol)
			near(t, "ks_statistic vs ks_2samp on bins", fr.KSStatistic, want.KSBinnedStat, tol)
			near(t, "ks_pvalue", fr.KSPValue, want.KSPValue, tol)
			// binning can only hide gaps between the CDFs, and with 20 bins
			// it hides little
			if gap := want.KSRawStat - *fr.KSStatistic; gap < -tol || gap > 0.03 {
				t.Errorf("binned KS %.6f vs raw KS %.6f: gap %.4f outside [0, 0.03]", *fr.KSStatistic, want.KSRawStat, gap)
			}
			t.Logf("KS binned D=%.6f p=%.4g; raw ks_2samp D=%.6f p=%.4g; gap %.4f",
				*fr.KSStatistic, *fr.KSPValue, want.KSRawStat, want.KSRawPValue, want.KSRawStat-*fr.KSStatistic)
		})
	}
	// sepal_width's PSI on 22 bins, 0.114, is sampling noise (KS p 0.92):
	// on the 3 bins 600 and 400 values afford, it is 0.0003.
	wantStatus := map[string]drift.Status{
		"sepal_length": drift.StatusOK, "sepal_width": drift.StatusOK,
		"petal_length": drift.StatusDrift, "petal_width": drift.StatusOK, "species": drift.StatusDrift,
	}
	for _, fr := range rep.Features {
		if fr.Status != wantStatus[fr.Feature] {
			t.Errorf("%s: status %s, want %s", fr.Feature, fr.Status, wantStatus[fr.Feature])
		}
	}
	if rep.Status != drift.StatusDrift || rep.DriftedFeatures != 2 {
		t.Errorf("report status %s with %d drifted, want drift with 2", rep.Status, rep.DriftedFeatures)
	}
	if got, want := rep.Summary(), "drift: 2 of 5 features after Benjamini–Hochberg at q=0.01"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if rep.Rule.Tests != 9 { // KS and chi-squared for 4 numeric features, chi-squared for species
		t.Errorf("%d tests adjusted, want 9", rep.Rule.Tests)
	}
}
