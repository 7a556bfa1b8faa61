package llm

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// benchRows makes n reproducible rows of English-like text (about 40 words,
// three sentences) and references sharing part of their words.
func benchRows(n int) (preds, targets []*string) {
	words := strings.Fields("the model answers questions about machine learning experiments tracking registry " +
		"deployment evaluation metrics readability summarization retrieval documents relevant international " +
		"hyphenation beautiful platform lifecycle reproducible artifacts parameters serving gateway prompt")
	rng := rand.New(rand.NewPCG(7, 11))
	sentence := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = words[rng.IntN(len(words))]
		}
		return strings.ToUpper(w[0][:1]) + strings.Join(w, " ")[1:] + "."
	}
	for range n {
		p := fmt.Sprintf("%s %s %s", sentence(14), sentence(12), sentence(14))
		t := fmt.Sprintf("%s %s", sentence(15), sentence(15))
		preds, targets = append(preds, &p), append(targets, &t)
	}
	return preds, targets
}

// BenchmarkSummarization10k: every text metric (token_count, rouge1/2/L/Lsum,
// both grades) over 10,000 rows; issue 19's target is <= 5 s.
func BenchmarkSummarization10k(b *testing.B) {
	preds, targets := benchRows(10_000)
	if _, err := Cl100k(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Compute(Input{ModelType: Summarization, Predictions: preds, Targets: targets}); err != nil {
			b.Fatal(err)
		}
	}
}
