package evaluate_test

import (
	"bytes"
	"encoding/csv"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/berthml/berth/evaluate"
)

func goldenCaseNamed(t *testing.T, name string) goldenCase {
	t.Helper()
	for _, c := range loadGolden(t) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no golden case %q", name)
	return goldenCase{}
}

func TestWriteArtifacts(t *testing.T) {
	tests := []struct {
		golden string
		want   []string
	}{
		{"binary_ties", []string{evaluate.ConfusionMatrixFile, evaluate.ROCCurveFile, evaluate.PRCurveFile}},
		{"binary_labels_only", []string{evaluate.ConfusionMatrixFile}},
		{"multiclass_iris_like", []string{evaluate.PerClassMetricsFile, evaluate.ConfusionMatrixFile, evaluate.ROCCurveFile, evaluate.PRCurveFile}},
		{"multiclass_labels_only", []string{evaluate.PerClassMetricsFile, evaluate.ConfusionMatrixFile}},
		{"multiclass_12_classes", []string{evaluate.PerClassMetricsFile, evaluate.ConfusionMatrixFile}},
		{"regressor_150", nil},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := evaluateCase(t, goldenCaseNamed(t, tt.golden))
			dir := t.TempDir()
			names, err := r.WriteArtifacts(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names, tt.want) {
				t.Fatalf("wrote %q, want %q", names, tt.want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != len(tt.want) {
				t.Errorf("%d files in dir, want %d", len(entries), len(tt.want))
			}
			for _, n := range names {
				if filepath.Ext(n) == ".png" {
					checkPNG(t, filepath.Join(dir, n))
				}
			}
		})
	}
}

// checkPNG: the file decodes as PNG, has the plot size, and is not blank.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if got := img.Bounds().Size(); got != (image.Point{X: evaluate.PlotWidth, Y: evaluate.PlotHeight}) {
		t.Errorf("%s: size %v, want %dx%d", path, got, evaluate.PlotWidth, evaluate.PlotHeight)
	}
	colours := map[[4]uint32]bool{}
	nonWhite := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, b, a}] = true
			if r < 0xf000 || g < 0xf000 || b < 0xf000 {
				nonWhite++
			}
		}
	}
	total := bounds.Dx() * bounds.Dy()
	if len(colours) < 8 || nonWhite < total/100 {
		t.Errorf("%s looks blank: %d colours, %d of %d pixels not white", filepath.Base(path), len(colours), nonWhite, total)
	}
}

// per_class_metrics.csv holds MLflow's columns, and its numbers read back to
// sklearn's.
func TestPerClassCSV(t *testing.T) {
	c := goldenCaseNamed(t, "multiclass_zero_division")
	r := evaluateCase(t, c)
	dir := t.TempDir()
	if _, err := r.WriteArtifacts(dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, evaluate.PerClassMetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"positive_class", "true_negatives", "false_positives", "false_negatives", "true_positives",
		"example_count", "accuracy_score", "recall_score", "precision_score", "f1_score", "roc_auc", "precision_recall_auc"}
	if !slices.Equal(rows[0], wantHeader) {
		t.Fatalf("header %q, want %q", rows[0], wantHeader)
	}
	if len(rows)-1 != len(c.PerClass) {
		t.Fatalf("%d rows, want %d", len(rows)-1, len(c.PerClass))
	}
	for i, want := range c.PerClass {
		row := rows[i+1]
		if row[0] != want["positive_class"] {
			t.Errorf("row %d: class %q, want %v", i, row[0], want["positive_class"])
		}
		for j, col := range wantHeader[1:] {
			got, err := strconv.ParseFloat(row[j+1], 64)
			if err != nil || !close(got, want[col].(float64)) {
				t.Errorf("class %s %s: %q, want %v", row[0], col, row[j+1], want[col])
			}
		}
		if row[1] != strconv.Itoa(int(want["true_negatives"].(float64))) {
			t.Errorf("true_negatives written as %q, want an integer", row[1])
		}
	}
	// class 3 is never predicted: precision 0/0 written as pandas writes 0.0
	if rows[3][0] != "3" || rows[3][8] != "0.0" {
		t.Errorf("class 3 row %q: want precision_score 0.0", rows[3])
	}
}
