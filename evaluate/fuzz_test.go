package evaluate_test

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/berthml/berth/evaluate"
)

var fuzzAlphabets = [][]string{
	{"0", "1", "2", "3", "10"},
	{"setosa", "versicolor", "virginica", "no", "yes"},
}

// FuzzClassify: any small input either fails with an *InputError or gives
// finite metrics in their ranges, counts that add up, and monotonic curves.
func FuzzClassify(f *testing.F) {
	f.Add([]byte{0, 1, 200, 1, 1, 50, 0, 0, 0, 1, 0, 255}, uint8(2), true, false, "")
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, uint8(3), true, true, "")
	f.Add([]byte{0, 0, 1, 1, 1, 0}, uint8(2), false, false, "1")
	f.Add([]byte{4, 4, 4, 4, 4, 4}, uint8(5), true, false, "yes")
	f.Add([]byte{}, uint8(2), true, false, "")
	f.Fuzz(func(t *testing.T, data []byte, k uint8, withProba, dropClass bool, pos string) {
		alphabet := fuzzAlphabets[int(k)%2]
		nClasses := 2 + int(k/2)%4
		labels := alphabet[:nClasses]
		n := min(len(data)/3, 64)
		yTrue, yPred := make([]string, n), make([]string, n)
		var proba [][]float64
		classes := labels
		if dropClass {
			classes = labels[:nClasses-1]
		}
		for i := range n {
			yTrue[i] = labels[int(data[3*i])%nClasses]
			yPred[i] = labels[int(data[3*i+1])%nClasses]
			if withProba {
				row := make([]float64, len(classes))
				for j := range row {
					row[j] = float64((int(data[3*i+2]) + 37*j) % 5) // zeros, ties, unnormalised rows
				}
				proba = append(proba, row)
			}
		}
		if !withProba {
			classes = nil
		}
		r, err := evaluate.Classify(yTrue, yPred, proba, classes, pos)
		if err != nil {
			var ie *evaluate.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *InputError", err)
			}
			return
		}
		for name, v := range r.Metrics {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s = %v", name, v)
			}
			switch name {
			case "log_loss":
				if v < 0 {
					t.Fatalf("log_loss %v < 0", v)
				}
			case "example_count", "true_negatives", "false_positives", "false_negatives", "true_positives":
			default:
				if v < 0 || v > 1+1e-12 {
					t.Fatalf("%s = %v, outside [0, 1]", name, v)
				}
			}
		}
		var total int64
		for _, row := range r.Confusion {
			for _, c := range row {
				total += c
			}
		}
		if total != int64(n) || r.Metrics["example_count"] != float64(n) {
			t.Fatalf("confusion adds to %d, example_count %v, rows %d", total, r.Metrics["example_count"], n)
		}
		for _, c := range r.ROC {
			for i := 1; i < len(c.X); i++ {
				if c.X[i] < c.X[i-1] || c.Y[i] < c.Y[i-1] {
					t.Fatalf("ROC of %q not monotonic: %v %v", c.Label, c.X, c.Y)
				}
			}
			if c.X[0] != 0 || c.Y[0] != 0 || c.X[len(c.X)-1] != 1 || c.Y[len(c.Y)-1] != 1 {
				t.Fatalf("ROC of %q does not run from (0,0) to (1,1): %v %v", c.Label, c.X, c.Y)
			}
		}
		for _, c := range r.PR {
			if c.X[len(c.X)-1] != 0 || c.Y[len(c.Y)-1] != 1 {
				t.Fatalf("PR of %q does not end at (0, 1)", c.Label)
			}
		}
	})
}

// FuzzRegress: values of moderate size give finite metrics; anything else an
// *InputError or no panic.
func FuzzRegress(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 0, 0, 0, 3})
	f.Add([]byte{255, 255, 0, 0, 1, 0, 0, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 4
		yTrue, yPred := make([]float64, n), make([]float64, n)
		for i := range n {
			yTrue[i] = float64(int16(binary.LittleEndian.Uint16(data[4*i:]))) / 16
			yPred[i] = float64(int16(binary.LittleEndian.Uint16(data[4*i+2:]))) / 16
		}
		r, err := evaluate.Regress(yTrue, yPred)
		if err != nil {
			if n != 0 || !errors.Is(err, evaluate.ErrEmpty) {
				t.Fatalf("%d rows: %v", n, err)
			}
			return
		}
		for name, v := range r.Metrics {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s = %v", name, v)
			}
		}
		if r2, ok := r.Metrics["r2_score"]; ok && r2 > 1 {
			t.Fatalf("r2_score %v > 1", r2)
		}
	})
}
