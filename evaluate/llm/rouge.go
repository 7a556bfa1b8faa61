package llm

import (
	"slices"
	"strings"
)

// The ROUGE scores port Google's rouge-score (rouge_scorer.py, tokenize.py),
// as Hugging Face evaluate's "rouge" calls it for MLflow's rouge metrics:
// no stemmer, one reference, the F-measure.

// RougeTokens is rouge-score's default tokenizer without a stemmer: the
// text lowercased, then the runs of [a-z0-9].
func RougeTokens(text string) []string {
	text = strings.ToLower(text)
	var toks []string
	start := -1
	for i := 0; i < len(text); i++ {
		c := text[i]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			toks = append(toks, text[start:i])
			start = -1
		}
	}
	if start >= 0 {
		toks = append(toks, text[start:])
	}
	return toks
}

// fmeasure is rouge-score's scoring.fmeasure.
func fmeasure(p, r float64) float64 {
	if p+r > 0 {
		return 2 * p * r / (p + r)
	}
	return 0
}

// RougeN is rouge-score's rougeN F-measure of prediction against target.
func RougeN(target, prediction []string, n int) float64 {
	tg, pg := ngrams(target, n), ngrams(prediction, n)
	inter, tc, pc := 0, 0, 0
	for g, c := range tg {
		inter += min(c, pg[g])
		tc += c
	}
	for _, c := range pg {
		pc += c
	}
	return fmeasure(float64(inter)/float64(max(pc, 1)), float64(inter)/float64(max(tc, 1)))
}

func ngrams(toks []string, n int) map[string]int {
	m := make(map[string]int, len(toks))
	for i := 0; i+n <= len(toks); i++ {
		m[strings.Join(toks[i:i+n], "\x00")]++
	}
	return m
}

// lcsTable is rouge-score's _lcs_table: t[i][j] is the LCS length of
// ref[:i] and can[:j].
func lcsTable(ref, can []string) [][]int32 {
	t := make([][]int32, len(ref)+1)
	cells := make([]int32, (len(ref)+1)*(len(can)+1))
	for i := range t {
		t[i] = cells[i*(len(can)+1) : (i+1)*(len(can)+1)]
	}
	for i := 1; i <= len(ref); i++ {
		for j := 1; j <= len(can); j++ {
			if ref[i-1] == can[j-1] {
				t[i][j] = t[i-1][j-1] + 1
			} else {
				t[i][j] = max(t[i-1][j], t[i][j-1])
			}
		}
	}
	return t
}

// RougeL is rouge-score's rougeL F-measure.
func RougeL(target, prediction []string) float64 {
	if len(target) == 0 || len(prediction) == 0 {
		return 0
	}
	lcs := float64(lcsLen(target, prediction))
	return fmeasure(lcs/float64(len(prediction)), lcs/float64(len(target)))
}

// lcsLen is the LCS length with two rows of the table.
func lcsLen(a, b []string) int {
	prev, cur := make([]int32, len(b)+1), make([]int32, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(prev[j], cur[j-1])
			}
		}
		prev, cur = cur, prev
	}
	return int(prev[len(b)])
}

// lcsIndexes is rouge-score's lcs_ind (_backtrack_norec): the indexes in
// ref of one LCS of ref and can.
func lcsIndexes(ref, can []string) []int {
	t := lcsTable(ref, can)
	i, j := len(ref), len(can)
	var out []int
	for i > 0 && j > 0 {
		switch {
		case ref[i-1] == can[j-1]:
			out = append(out, i-1)
			i--
			j--
		case t[i][j-1] > t[i-1][j]:
			j--
		default:
			i--
		}
	}
	slices.Reverse(out)
	return out
}

// rougeSentences is rouge-score's get_sents for rougeLsum: the text split
// on "\n", empty lines dropped, each tokenized.
func rougeSentences(text string) [][]string {
	var out [][]string
	for s := range strings.SplitSeq(text, "\n") {
		if s != "" {
			out = append(out, RougeTokens(s))
		}
	}
	return out
}

// RougeLsum is rouge-score's rougeLsum F-measure (_summary_level_lcs):
// sentences are the lines of target and prediction.
func RougeLsum(target, prediction string) float64 {
	if !strings.Contains(target, "\n") && !strings.Contains(prediction, "\n") {
		// One sentence a side: the union LCS is the LCS, and every one of
		// its tokens is counted, so the score is rougeL's.
		return RougeL(RougeTokens(target), RougeTokens(prediction))
	}
	return summaryLCS(target, prediction)
}

// summaryLCS is _summary_level_lcs over the lines of target and prediction.
func summaryLCS(target, prediction string) float64 {
	ref, can := rougeSentences(target), rougeSentences(prediction)
	if len(ref) == 0 || len(can) == 0 {
		return 0
	}
	m, n := 0, 0
	cr, cc := map[string]int{}, map[string]int{}
	for _, s := range ref {
		m += len(s)
		for _, t := range s {
			cr[t]++
		}
	}
	for _, s := range can {
		n += len(s)
		for _, t := range s {
			cc[t]++
		}
	}
	if m == 0 || n == 0 {
		return 0
	}
	hits := 0
	for _, r := range ref {
		union := map[int]bool{}
		for _, c := range can {
			for _, i := range lcsIndexes(r, c) {
				union[i] = true
			}
		}
		idx := make([]int, 0, len(union))
		for i := range union {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		for _, i := range idx {
			t := r[i]
			if cc[t] > 0 && cr[t] > 0 {
				hits++
				cc[t]--
				cr[t]--
			}
		}
	}
	return fmeasure(float64(hits)/float64(n), float64(hits)/float64(m))
}
