package evaluate_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/berthml/berth/evaluate"
)

// BenchmarkClassify: 100k rows, 3 classes, with probabilities (metrics and
// one-vs-rest curves, no artifacts).
func BenchmarkClassify(b *testing.B) {
	const n, k = 100_000, 3
	rng := rand.New(rand.NewPCG(1, 2))
	classes := []string{"0", "1", "2"}
	yt, yp := make([]string, n), make([]string, n)
	proba := make([][]float64, n)
	for i := range n {
		row := make([]float64, k)
		sum := 0.0
		for j := range row {
			row[j] = rng.Float64()
			sum += row[j]
		}
		best := 0
		for j := range row {
			row[j] /= sum
			if row[j] > row[best] {
				best = j
			}
		}
		proba[i] = row
		yt[i], yp[i] = strconv.Itoa(rng.IntN(k)), classes[best]
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := evaluate.Classify(yt, yp, proba, classes, ""); err != nil {
			b.Fatal(err)
		}
	}
}
