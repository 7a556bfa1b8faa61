// Package iristest gives tests the iris fixtures they share: the
// iris_logreg model directory with a drift reference profiled from
// testdata/data/iris.csv, iris's feature rows, and the scoring check of a
// served iris_logreg (sklearn's answer from its expected.json). The
// fixtures are found from the repository root, the first directory above
// the test's with a go.mod.
package iristest

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/berthml/berth/batchscore"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// Features are iris's input columns, in the model's signature order.
var Features = []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}

// fixture is the path of rel, a path below the repository root's testdata.
func fixture(tb testing.TB, rel ...string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(append([]string{dir, "testdata"}, rel...)...)
		}
		up := filepath.Dir(dir)
		if up == dir {
			tb.Fatal("iristest: no go.mod above the test's directory: not in berth's repository")
		}
		dir = up
	}
}

func modelDir(tb testing.TB) string { return fixture(tb, "models", "iris_logreg") }
func csvPath(tb testing.TB) string  { return fixture(tb, "data", "iris.csv") }

// ModelWithReference copies the iris_logreg fixture into a temporary
// directory and profiles iris.csv into its drift reference.
func ModelWithReference(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	src := modelDir(tb)
	entries, err := os.ReadDir(src)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	f, err := os.Open(csvPath(tb))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	cols := make([]drift.Column, len(Features))
	for i, n := range Features {
		cols[i] = drift.Column{Name: n, Type: flavors.ColFloat}
	}
	p, err := drift.FromCSV(f, cols)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, drift.FileName), b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// WithOutputs adds the model's outputs to the reference in dir (from
// [ModelWithReference]), scoring iris.csv with the model as berth drift
// profile does. ONNX Runtime must be initialised.
func WithOutputs(tb testing.TB, dir string) {
	tb.Helper()
	ctx := context.Background()
	l, err := flavors.Load(ctx, dir, flavors.LoadOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Predictor.Close()
	outs, err := batchscore.ProfileOutputs(ctx, l, csvPath(tb))
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, drift.FileName)
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := drift.ReadProfile(f)
	f.Close()
	if err != nil {
		tb.Fatal(err)
	}
	p.Outputs = outs
	b, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// Rows reads the four features of iris.csv, one row per flower.
func Rows(tb testing.TB) [][]float64 {
	tb.Helper()
	f, err := os.Open(csvPath(tb))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	rows := make([][]float64, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		row := make([]float64, len(Features))
		for j := range row {
			if row[j], err = strconv.ParseFloat(rec[j], 64); err != nil {
				tb.Fatal(err)
			}
		}
		rows = append(rows, row)
	}
	return rows
}
