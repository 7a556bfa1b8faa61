package chart_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/chart"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// profileFile profiles one of the drift golden CSV files.
func profileFile(t *testing.T, name string, opts ...drift.Option) *drift.Profile {
	t.Helper()
	f, err := os.Open(filepath.Join("../testdata/drift", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cols := []drift.Column{{Name: "sepal_length", Type: flavors.ColDouble}, {Name: "sepal_width", Type: flavors.ColDouble},
		{Name: "petal_length", Type: flavors.ColDouble}, {Name: "petal_width", Type: flavors.ColDouble}, {Name: "species", Type: flavors.ColString}}
	p, err := drift.FromCSV(f, cols, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteReport(t *testing.T) {
	ref := profileFile(t, "reference.csv")
	cur := profileFile(t, "current.csv", drift.WithReference(ref))
	rep, err := drift.Compare(ref, cur, drift.DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := chart.WriteReport(&b, rep); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`<p class="rule">drift: 2 of 5 features after Benjamini–Hochberg at q=0.01.</p>`,
		"adjusted together by Benjamini–Hochberg",
		"<th>KS p adj.</th>", "<th>Wasserstein/σ</th>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "<link", "src="} {
		if strings.Contains(page, bad) {
			t.Errorf("the report is not self-contained: it holds %q", bad)
		}
	}
	hists := svgs(page)
	if len(hists) != len(rep.Features) {
		t.Fatalf("%d charts for %d features", len(hists), len(rep.Features))
	}
	for i, s := range hists {
		n := svgElements(t, s)
		f := rep.Features[i]
		if n["rect.bar ref"] != len(f.Reference) || n["rect.bar cur"] != len(f.Current) {
			t.Errorf("%s: %d reference and %d current bars, want %d and %d", f.Feature, n["rect.bar ref"], n["rect.bar cur"], len(f.Reference), len(f.Current))
		}
	}
}
