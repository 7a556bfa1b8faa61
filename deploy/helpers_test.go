package deploy_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

const (
	alertsFile    = "prometheus/alerts.yml"
	configFile    = "prometheus/prometheus.yml"
	dashboardFile = "grafana/berth.json"
)

var irisFeatures = []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}

// tool returns the path of a Prometheus tool, skipping the test when it
// is missing, or failing it when BERTH_REQUIRE_TOOLS=1 (as in CI).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			t.Fatalf("BERTH_REQUIRE_TOOLS=1 and %s not found (apt-get install prometheus)", name)
		}
		t.Skipf("skipping: %s not found (apt-get install prometheus)", name)
	}
	return p
}

// irisWithReference copies the iris_logreg fixture into a temporary
// directory and profiles testdata/data/iris.csv into its drift reference.
func irisWithReference(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "testdata", "models", "iris_logreg")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(filepath.Join("..", "testdata", "data", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cols := make([]drift.Column, len(irisFeatures))
	for i, n := range irisFeatures {
		cols[i] = drift.Column{Name: n, Type: flavors.ColFloat}
	}
	p, err := drift.FromCSV(f, cols)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, drift.FileName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// irisRows reads the four features of testdata/data/iris.csv.
func irisRows(t *testing.T) [][]float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "data", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]float64, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		row := make([]float64, len(irisFeatures))
		for j := range row {
			if row[j], err = strconv.ParseFloat(rec[j], 64); err != nil {
				t.Fatal(err)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// invocationsBody is an MLflow scoring request for rows.
func invocationsBody(t *testing.T, rows [][]float64) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": irisFeatures, "data": rows}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
