// Package iristest gives tests the iris fixtures the drift tests share:
// the iris_logreg model directory with a drift reference profiled from
// testdata/data/iris.csv, and iris's feature rows. Paths are relative to a
// package directory one level below the repository root, where go test
// runs those tests.
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

var (
	modelDir = filepath.Join("..", "testdata", "models", "iris_logreg")
	csvPath  = filepath.Join("..", "testdata", "data", "iris.csv")
)

// ModelWithReference copies the iris_logreg fixture into a temporary
// directory and profiles iris.csv into its drift reference.
func ModelWithReference(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	entries, err := os.ReadDir(modelDir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(modelDir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	f, err := os.Open(csvPath)
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
	outs, err := batchscore.ProfileOutputs(ctx, l, csvPath)
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
	f, err := os.Open(csvPath)
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
