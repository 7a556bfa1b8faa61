package drift_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/berthml/berth/drift"
)

func TestWriteHTMLShowsTheRule(t *testing.T) {
	ref := profileFile(t, "reference.csv")
	cur := profileFile(t, "current.csv", drift.WithReference(ref))
	rep, err := drift.Compare(ref, cur, drift.DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := drift.WriteHTML(&b, rep); err != nil {
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
}
