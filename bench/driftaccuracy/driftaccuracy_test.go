package driftaccuracy_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/bench/driftaccuracy"
	"github.com/berthml/berth/drift"
)

// TestGoals is a short run of bench/cmd/driftaccuracy: the decision rule
// keeps its false-alarm and detection goals on two real data sets at a
// small and a large size, with fewer splits than docs/drift-accuracy.md.
func TestGoals(t *testing.T) {
	cfg := driftaccuracy.Config{Splits: 100, ShiftSplits: 40, Seed: 14, Thresholds: drift.DefaultThresholds(),
		Persistence: drift.DefaultPersistence}
	var cells []driftaccuracy.Cell
	for i, name := range []string{"iris", "wine"} {
		d, err := driftaccuracy.LoadCSV(filepath.Join("..", "..", "testdata", "data", name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		for j, n := range []int{50, 500} {
			c, err := driftaccuracy.Measure(d, n, cfg, uint64(2*i+j))
			if err != nil {
				t.Fatal(err)
			}
			cells = append(cells, c)
		}
	}
	var tbl bytes.Buffer
	if err := driftaccuracy.WriteTable(&tbl, cells, cfg.Persistence); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + tbl.String())
	if m := driftaccuracy.Misses(cells); len(m) > 0 {
		t.Errorf("goals missed:\n%s", strings.Join(m, "\n"))
	}
	if c := cells[1]; c.Dataset != "iris" || c.Size != 500 || !c.Resampled {
		t.Errorf("cell %+v: want iris at 500 rows, resampled", c)
	}
}

// TestMissesNamesEveryGoal checks that a cell over each goal is reported.
func TestMissesNamesEveryGoal(t *testing.T) {
	bad := driftaccuracy.Cell{Dataset: "x", Size: 500, FeatureFA: 0.06, AlertFA: 0.02,
		Detect: map[driftaccuracy.Shift]float64{driftaccuracy.MeanShift: 0.95, driftaccuracy.Scale: 0.5, driftaccuracy.Swap: 1}}
	got := strings.Join(driftaccuracy.Misses([]driftaccuracy.Cell{bad}), "\n")
	for _, want := range []string{"feature false alarms 6.0%", "model alert false alarms 2.0%", "scale ×1.3 detected 50.0%"} {
		if !strings.Contains(got, want) {
			t.Errorf("misses %q lack %q", got, want)
		}
	}
	if strings.Contains(got, "mean") {
		t.Errorf("misses %q name a met goal", got)
	}
	small := bad
	small.Size, small.FeatureFA, small.AlertFA = 50, 0, 0
	if m := driftaccuracy.Misses([]driftaccuracy.Cell{small}); len(m) != 0 {
		t.Errorf("detection below 500 rows is no goal, got %q", m)
	}
}

func TestLoadCSVDropsTarget(t *testing.T) {
	d, err := driftaccuracy.LoadCSV(filepath.Join("..", "..", "testdata", "data", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Columns) != 4 || len(d.Rows) != 150 || d.Name != "iris" {
		t.Errorf("iris: %d columns %q, %d rows, name %q", len(d.Columns), d.Columns, len(d.Rows), d.Name)
	}
}
