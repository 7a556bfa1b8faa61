package drift_test

import (
	"bytes"
	"testing"

	"github.com/berthml/berth/chart"
	"github.com/berthml/berth/drift"
)

// drift.WriteHTML draws nothing itself: it is chart.WriteReport.
func TestWriteHTMLIsChartsReport(t *testing.T) {
	ref := profileFile(t, "reference.csv")
	cur := profileFile(t, "current.csv", drift.WithReference(ref))
	rep, err := drift.Compare(ref, cur, drift.DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := drift.WriteHTML(&a, rep); err != nil {
		t.Fatal(err)
	}
	if err := chart.WriteReport(&b, rep); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() || a.Len() == 0 {
		t.Error("drift.WriteHTML and chart.WriteReport differ")
	}
}
