package search_test

import (
	"strings"
	"testing"

	"github.com/berthml/berth/tracking/search"
)

func BenchmarkParseRunFilter(b *testing.B) {
	const s = "metrics.acc > 0.5 and params.lr = '0.1' and tags.`mlflow.runName` LIKE 'conf-%' and run_id IN ('ab', 'cd')"
	for b.Loop() {
		if _, err := search.ParseRunFilter(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseRunFilterHostile parses input built to be slow: many
// unmatched parentheses and unterminated quotes.
func BenchmarkParseRunFilterHostile(b *testing.B) {
	s := strings.Repeat("(", 20000) + strings.Repeat(`"`, 20001) + strings.Repeat("`", 20001)
	for b.Loop() {
		if _, err := search.ParseRunFilter(s); err == nil {
			b.Fatal("no error")
		}
	}
}
