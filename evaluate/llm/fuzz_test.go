package llm

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var rougeTokenRE = regexp.MustCompile(`[a-z0-9]+`)

// FuzzRougeTokens checks the tokenizer against rouge-score's regular
// expressions applied literally, and the scores' bounds.
func FuzzRougeTokens(f *testing.F) {
	for _, s := range []string{"", "The cat sat.", "Café über 42x", "a\nb\n\nc", "\u212a\u0130", "\xff\xfe"} {
		f.Add(s, "the cat")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		want := rougeTokenRE.FindAllString(strings.ToLower(a), -1)
		if got := RougeTokens(a); !slices.Equal(got, want) {
			t.Fatalf("RougeTokens(%q) = %q, want %q", a, got, want)
		}
		ta, tb := RougeTokens(a), RougeTokens(b)
		if l, s := RougeL(ta, tb), summaryLCS(a, b); !strings.Contains(a+b, "\n") && l != s {
			t.Fatalf("one line a side: rougeL %v but summary-level %v", l, s)
		}
		for _, v := range []float64{RougeN(ta, tb, 1), RougeN(ta, tb, 2), RougeL(ta, tb), RougeLsum(a, b)} {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("score %v out of [0, 1] for %q, %q", v, a, b)
			}
		}
	})
}

// FuzzTextstat: the grades are finite numbers for any text.
func FuzzTextstat(f *testing.F) {
	for _, s := range []string{"", "The cat sat on the mat.", "Hi. Go!", "big  dog", "...!!!", "éèà ß\u00a0x", "a\x1cb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []float64{FleschKincaidGrade(s), AutomatedReadabilityIndex(s)} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("grade %v for %q", v, s)
			}
		}
		if lexiconCount(s) < 0 || sentenceCount(s) < 1 {
			t.Fatalf("counts for %q", s)
		}
	})
}

// FuzzParseJSONL: any input is a table or an error, never a panic, and
// every row has one value per column.
func FuzzParseJSONL(f *testing.F) {
	for _, s := range []string{"", `{"a":1}`, "{\"a\":\"x\",\"b\":[1,2]}\n\n{\"b\":null,\"c\":true}", `[1]`, `{"a":1} {"b":2}`, `{"a"`, `{"a":1,"a":2}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := ParseJSONL(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, row := range tab.Data {
			if len(row) != len(tab.Columns) {
				t.Fatalf("row of %d values, %d columns", len(row), len(tab.Columns))
			}
		}
		for _, c := range tab.Columns {
			_, _ = tab.TextColumn(c)
			_, _ = tab.IDColumn(c)
		}
	})
}
