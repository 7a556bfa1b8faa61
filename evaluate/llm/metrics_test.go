package llm

import (
	"math"
	"slices"
	"testing"

	"github.com/berthml/berth/internal/numpy"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

// The expected values are computed by hand from rouge-score's algorithm
// (tokenize, n-gram counts, LCS, summary-level union LCS); the rougeLsum
// case is the ROUGE paper's (Lin 2004, section 3.2) example, which
// rouge-score's own test checks (recall 0.8, precision 0.4).
func TestRouge(t *testing.T) {
	cases := []struct {
		name, target, pred string
		r1, r2, rl, rlsum  float64
	}{
		{"one word changed", "The cat sat on the mat", "the cat is on the mat.", 5.0 / 6, 0.6, 5.0 / 6, 5.0 / 6},
		{"identical", "a b c", "A, b; c!", 1, 1, 1, 1},
		{"disjoint", "alpha beta", "gamma delta", 0, 0, 0, 0},
		{"empty prediction", "alpha beta", "", 0, 0, 0, 0},
		{"punctuation only", "...", "!!!", 0, 0, 0, 0},
		{"summary level", "w1 w2 w3 w4 w5", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5",
			// rouge1: overlap w1,w2,w3,w5 = 4 of p=10, r=5 -> 2*.4*.8/1.2
			2 * 0.4 * 0.8 / 1.2,
			// rouge2: target bigrams w1w2 w2w3 w3w4 w4w5; prediction has w1w2 only -> p=1/9, r=1/4
			2 * (1.0 / 9) * (1.0 / 4) / (1.0/9 + 1.0/4),
			// rougeL over the whole token lists: LCS w1 w2 w3 w5 = 4 -> p=.4 r=.8
			2 * 0.4 * 0.8 / 1.2,
			2 * 0.4 * 0.8 / 1.2},
		{"repeated tokens clipped", "the the the", "the", 0.5, 0, 0.5, 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tt, pp := RougeTokens(c.target), RougeTokens(c.pred)
			got := []float64{RougeN(tt, pp, 1), RougeN(tt, pp, 2), RougeL(tt, pp), RougeLsum(c.target, c.pred)}
			want := []float64{c.r1, c.r2, c.rl, c.rlsum}
			for i := range got {
				if !near(got[i], want[i]) {
					t.Errorf("%s: got %v, want %v", []string{"rouge1", "rouge2", "rougeL", "rougeLsum"}[i], got[i], want[i])
				}
			}
		})
	}
}

func TestRougeTokens(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Testing one-two, three!", []string{"testing", "one", "two", "three"}},
		{"Café über 42x", []string{"caf", "ber", "42x"}},
		{"KELVIN \u212a", []string{"kelvin", "k"}}, // K (Kelvin sign) lowercases to k, in Python and Go
		{"", nil},
		{"  \n\t ", nil},
	}
	for _, c := range cases {
		if got := RougeTokens(c.in); !slices.Equal(got, c.want) {
			t.Errorf("RougeTokens(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The counts and grades are worked by hand from textstat 0.7.3's code (see
// textstat.go); the hyphenation points of the longer words are the classic
// Liang/TeX ones (hy-phen-ation, beau-ti-ful) that hyph_en_US.dic encodes.
func TestTextstat(t *testing.T) {
	cases := []struct {
		text                        string
		words, sentences, syllables int
		fk, ari                     float64
	}{
		// 6 words, 1 sentence, 6 one-syllable words: FK 0.39*6+11.8*1-15.59 = -1.45,
		// legacy-rounded down to -1.5; ARI 4.71*3+0.5*6-21.43 = -4.3 -> -4.4
		// (textstat's floor(x*10-0.5)/10 for negatives).
		{"The cat sat on the mat.", 6, 1, 6, -1.5, -4.4},
		// No words: FK 0.39*0+11.8*0-15.59 -> -15.7; ARI 0.
		{"", 0, 1, 0, -15.7, 0},
		// Two short sentences of <= 2 words are ignored: still 1 sentence.
		{"Hi. Go!", 2, 1, 2, 0.39*2 + 11.8*1 - 15.59, 0},
		// "hyphenation" hy-phen-ation (3), "is" (1), "beautiful" beau-ti-ful (3): 7 syllables, 3 words.
		{"Hyphenation is beautiful.", 3, 1, 7, 0, 0},
		// A double space is an empty word of one syllable in textstat's split(' ').
		{"big  dog", 2, 1, 3, 0, 0},
	}
	for _, c := range cases {
		if got := lexiconCount(c.text); got != c.words {
			t.Errorf("lexiconCount(%q) = %d, want %d", c.text, got, c.words)
		}
		if got := sentenceCount(c.text); got != c.sentences {
			t.Errorf("sentenceCount(%q) = %d, want %d", c.text, got, c.sentences)
		}
		if got := syllableCount(c.text); got != c.syllables {
			t.Errorf("syllableCount(%q) = %d, want %d", c.text, got, c.syllables)
		}
	}
	if got := FleschKincaidGrade("The cat sat on the mat."); got != -1.5 {
		t.Errorf("FK = %v, want -1.5", got)
	}
	if got := AutomatedReadabilityIndex("The cat sat on the mat."); got != -4.4 {
		t.Errorf("ARI = %v, want -4.4", got)
	}
	if got := FleschKincaidGrade(""); got != -15.7 {
		t.Errorf("FK(empty) = %v, want -15.7", got)
	}
	// "Hyphenation is beautiful.": asl 3.0, spw 7/3 -> 2.3; FK 0.39*3+11.8*2.3-15.59 = 12.72 -> 12.7.
	// ARI: 23 chars/3 words = 7.67, 3 words/sentence: 4.71*7.67+1.5-21.43 = 16.1557 -> 16.2.
	if got := FleschKincaidGrade("Hyphenation is beautiful."); got != 12.7 {
		t.Errorf("FK = %v, want 12.7", got)
	}
	if got := AutomatedReadabilityIndex("Hyphenation is beautiful."); got != 16.2 {
		t.Errorf("ARI = %v, want 16.2", got)
	}
}

func TestHyphenPositions(t *testing.T) {
	for word, want := range map[string][]int{"hyphenation": {2, 6}, "beautiful": {4, 6}, "cat": nil} {
		if got := enUSDict().positions(word); !slices.Equal(filter(got, len(word)), want) {
			t.Errorf("positions(%q) = %v (within 2 of the ends: %v), want %v", word, got, filter(got, len(word)), want)
		}
	}
}

func filter(p []int, n int) []int {
	var out []int
	for _, i := range p {
		if i >= 2 && i <= n-2 {
			out = append(out, i)
		}
	}
	return out
}

// cl100k_base token ids published by OpenAI (the tiktoken README and cookbook).
func TestTokenCount(t *testing.T) {
	enc, err := Cl100k()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := enc.EncodeOrdinary("hello world"), []int{15339, 1917}; !slices.Equal(got, want) {
		t.Errorf("hello world = %v, want %v", got, want)
	}
	if got, want := enc.EncodeOrdinary("tiktoken is great!"), []int{83, 1609, 5963, 374, 2294, 0}; !slices.Equal(got, want) {
		t.Errorf("tiktoken is great! = %v, want %v", got, want)
	}
	if n, err := TokenCount(""); err != nil || n != 0 {
		t.Errorf("TokenCount(\"\") = %d, %v", n, err)
	}
}

func TestAggregations(t *testing.T) {
	s := []float64{4, 1, 3, 2}
	if m, v, p := numpy.Mean(s), numpy.Var(s), numpy.Percentile(s, 90); !near(m, 2.5) || !near(v, 1.25) || !near(p, 3.7) {
		t.Errorf("mean %v var %v p90 %v, want 2.5 1.25 3.7", m, v, p)
	}
	if p := numpy.Percentile([]float64{7}, 90); p != 7 {
		t.Errorf("p90 of one = %v", p)
	}
}

func TestRetriever(t *testing.T) {
	r, err := Compute(Input{ModelType: Retriever,
		Retrieved: [][]string{{"a", "b", "c", "d"}, {}, {"x"}, {}},
		Relevant:  [][]string{{"b", "x"}, {}, {}, {"q"}}})
	if err != nil {
		t.Fatal(err)
	}
	// row 1: top3 a,b,c: precision 1/3, recall 1/2, ndcg (1/log2 3)/1.
	// row 2: nothing either side: 1, 1, 1. row 3: no truth: precision 0, recall 1, ndcg 0.
	// row 4: nothing retrieved: precision 1, recall 0, ndcg 0.
	want := map[string]float64{
		"precision_at_3/mean": (1.0/3 + 1 + 0 + 1) / 4,
		"recall_at_3/mean":    (0.5 + 1 + 1 + 0) / 4,
		"ndcg_at_3/mean":      (1/math.Log2(3) + 1 + 0 + 0) / 4,
	}
	for k, w := range want {
		if !near(r.Metrics[k], w) {
			t.Errorf("%s = %v, want %v", k, r.Metrics[k], w)
		}
	}
	if _, err := Compute(Input{ModelType: Retriever, Retrieved: [][]string{{"a"}}}); err != ErrNoTargets {
		t.Errorf("no targets: %v", err)
	}
}

func TestComputeQA(t *testing.T) {
	s := func(v string) *string { return &v }
	r, err := Compute(Input{ModelType: QA, Predictions: []*string{s("Paris"), s("4"), s("blue")},
		Targets: []*string{s("Paris"), s("four"), s("blue")}})
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.Metrics["exact_match/v1"], 2.0/3) {
		t.Errorf("exact_match/v1 = %v", r.Metrics["exact_match/v1"])
	}
	for _, k := range []string{"flesch_kincaid_grade_level/v1/mean", "flesch_kincaid_grade_level/v1/variance",
		"flesch_kincaid_grade_level/v1/p90", "ari_grade_level/v1/mean"} {
		if _, ok := r.Metrics[k]; !ok {
			t.Errorf("missing %s in %v", k, r.Names)
		}
	}
	if r.Columns[0].Name != "token_count" || r.Columns[0].Values[0] != 1 {
		t.Errorf("token_count column: %+v", r.Columns[0])
	}
	// A null prediction drops the text metrics, as MLflow's _validate_text_data does.
	r, err = Compute(Input{ModelType: Summarization, Predictions: []*string{nil}, Targets: []*string{s("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Metrics) != 0 || r.Columns[0].Values[0] != nil {
		t.Errorf("null prediction: metrics %v, token_count %v", r.Metrics, r.Columns[0].Values)
	}
}
