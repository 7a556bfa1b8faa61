package llm

import (
	"math"
	"strings"
	"unicode/utf8"
)

// The readability grades follow textstat 0.7.3 (the version MLflow 2.17's
// flesch_kincaid_grade_level/v1 and ari_grade_level/v1 call) formula by
// formula, with its rounding ("legacy round", half away from zero on the
// scaled value, floor-based) and its word, sentence, syllable and character
// counts.

// legacyRound is textstat's _legacy_round with rounding on:
// floor(x*10^p + copysign(0.5, x)) / 10^p.
func legacyRound(x float64, points int) float64 {
	p := math.Pow(10, float64(points))
	return math.Floor(float64(x*p)+math.Copysign(0.5, x)) / p
}

// removePunctuation is textstat's remove_punctuation with rm_apostrophe on:
// re.sub(r"[^\w\s]", "", text).
func removePunctuation(text string) string {
	clean := true
	for _, r := range text {
		if !pyIsWord(r) && !pyIsSpace(r) {
			clean = false
			break
		}
	}
	if clean {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	for _, r := range text {
		if pyIsWord(r) || pyIsSpace(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lexiconCount is textstat's lexicon_count(text, removepunct=True):
// len(remove_punctuation(text).split()), counted without building the
// unpunctuated text (a removed rune neither starts nor ends a word).
func lexiconCount(text string) int {
	n, in := 0, false
	for _, r := range text {
		switch {
		case pyIsSpace(r):
			in = false
		case pyIsWord(r):
			if !in {
				in, n = true, n+1
			}
		}
	}
	return n
}

func lexiconCountRunes(rs []rune) int {
	n, in := 0, false
	for _, r := range rs {
		switch {
		case pyIsSpace(r):
			in = false
		case pyIsWord(r):
			if !in {
				in, n = true, n+1
			}
		}
	}
	return n
}

// sentenceCount is textstat's sentence_count: the matches of
// \b[^.!?]+[.!?]* (Unicode \b), less those of two words or fewer, and at
// least 1.
func sentenceCount(text string) int {
	rs := []rune(text)
	term := func(r rune) bool { return r == '.' || r == '!' || r == '?' }
	total, ignored := 0, 0
	for i := 0; i < len(rs); {
		prevWord := i > 0 && pyIsWord(rs[i-1])
		if term(rs[i]) || prevWord == pyIsWord(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) && !term(rs[j]) {
			j++
		}
		for j < len(rs) && term(rs[j]) {
			j++
		}
		total++
		if lexiconCountRunes(rs[i:j]) <= 2 {
			ignored++
		}
		i = j
	}
	return max(1, total-ignored)
}

// syllableCount is textstat's syllable_count with pyphen's en_US
// dictionary: for each piece of the lowercased, unpunctuated text split on
// single spaces (so a double space is an empty "word" of one syllable), its
// hyphenation points plus one.
func syllableCount(text string) int {
	text = removePunctuation(strings.ToLower(text))
	if text == "" {
		return 0
	}
	n := 0
	for w := range strings.SplitSeq(text, " ") {
		n += hyphenCount(w) + 1
	}
	return n
}

// charCount is textstat's char_count(ignore_spaces=True): the runes other
// than ' '.
func charCount(text string) int {
	return utf8.RuneCountInString(text) - strings.Count(text, " ")
}

// FleschKincaidGrade is textstat.flesch_kincaid_grade(text).
func FleschKincaidGrade(text string) float64 {
	return fleschKincaid(lexiconCount(text), sentenceCount(text), text)
}

func fleschKincaid(words, sentences int, text string) float64 {
	asl := legacyRound(float64(words)/float64(sentences), 1)
	spw := 0.0
	if words > 0 {
		spw = legacyRound(float64(syllableCount(text))/float64(words), 1)
	}
	return legacyRound(float64(float64(0.39*asl)+float64(11.8*spw))-15.59, 1)
}

// AutomatedReadabilityIndex is textstat.automated_readability_index(text);
// 0 for a text without words.
func AutomatedReadabilityIndex(text string) float64 {
	return automatedReadability(lexiconCount(text), sentenceCount(text), text)
}

func automatedReadability(words, sentences int, text string) float64 {
	if words == 0 {
		return 0
	}
	a := float64(charCount(text)) / float64(words)
	b := float64(words) / float64(sentences)
	return legacyRound(float64(float64(4.71*legacyRound(a, 2))+float64(0.5*legacyRound(b, 2)))-21.43, 1)
}

// Readability returns FleschKincaidGrade(text) and
// AutomatedReadabilityIndex(text), counting words and sentences once.
func Readability(text string) (fk, ari float64) {
	w, s := lexiconCount(text), sentenceCount(text)
	return fleschKincaid(w, s, text), automatedReadability(w, s, text)
}
