package llm

import (
	_ "embed"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// hyphEnUS is hyph_en_US.dic, the LibreOffice/hyphen US English patterns
// (Debian hyphen-en-us 2.8.8-7; tri-licensed GPL-2+ / LGPL-2.1+ /
// MPL-1.1+), the dictionary pyphen ships and textstat counts syllables with.
//
//go:embed hyph_en_US.dic
var hyphEnUS string

// hyphDict is pyphen's HyphDict: Liang's patterns by their letters, each
// with the offset of its first non-zero value and the values from there.
type hyphDict struct {
	patterns map[string]hyphPattern
	maxlen   int // in runes
}

type hyphPattern struct {
	offset int
	values []int8
}

var (
	enUSOnce sync.Once
	enUS     *hyphDict
)

func enUSDict() *hyphDict {
	enUSOnce.Do(func() { enUS = parseHyphDict(hyphEnUS) })
	return enUS
}

// parseHyphDict reads a hyphen dictionary as pyphen does: the first line
// names the charset (only UTF-8 is bundled), comments and the *HYPHENMIN
// lines are skipped, and a pattern whose values are all zero is dropped.
// Nonstandard (/=) patterns are not in the English dictionary and are
// skipped.
func parseHyphDict(src string) *hyphDict {
	d := &hyphDict{patterns: map[string]hyphPattern{}}
	lines := strings.Split(src, "\n")
	for _, line := range lines[1:] {
		p := strings.TrimSpace(line)
		if p == "" || strings.HasPrefix(p, "%") || strings.HasPrefix(p, "#") || strings.HasPrefix(p, "LEFTHYPHENMIN") ||
			strings.HasPrefix(p, "RIGHTHYPHENMIN") || strings.HasPrefix(p, "COMPOUNDLEFTHYPHENMIN") ||
			strings.HasPrefix(p, "COMPOUNDRIGHTHYPHENMIN") || (strings.Contains(p, "/") && strings.Contains(p, "=")) {
			continue
		}
		var tags []rune
		values := []int8{0}
		for _, r := range p {
			if r >= '0' && r <= '9' {
				values[len(values)-1] = int8(r - '0')
				continue
			}
			tags = append(tags, r)
			values = append(values, 0)
		}
		start, end := 0, len(values)
		for start < end && values[start] == 0 {
			start++
		}
		if start == end {
			continue
		}
		for values[end-1] == 0 {
			end--
		}
		d.patterns[string(tags)] = hyphPattern{offset: start, values: values[start:end]}
		if len(tags) > d.maxlen {
			d.maxlen = len(tags)
		}
	}
	return d
}

// positions is pyphen's HyphDict.positions: the indexes (in runes) of the
// word where it may be hyphenated.
func (d *hyphDict) positions(word string) []int {
	s := "." + strings.ToLower(word) + "."
	off := make([]int, 0, len(s)+1) // byte offset of each rune, and len(s)
	for i := range s {
		off = append(off, i)
	}
	n := len(off)
	off = append(off, len(s))
	refs := make([]int8, n+1)
	for i := 0; i < n-1; i++ {
		for j := i + 1; j <= min(i+d.maxlen, n); j++ {
			p, ok := d.patterns[s[off[i]:off[j]]]
			if !ok {
				continue
			}
			for k, v := range p.values {
				if at := i + p.offset + k; v > refs[at] {
					refs[at] = v
				}
			}
		}
	}
	var out []int
	for i, r := range refs {
		if r%2 == 1 {
			out = append(out, i-1)
		}
	}
	return out
}

// hyphenCount is len(Pyphen(lang="en_US").positions(word)): the hyphenation
// points at least two runes from either end of the word.
func hyphenCount(word string) int {
	if word == "" {
		return 0
	}
	if n, ok := hyphenCache.Load(word); ok {
		return n.(int)
	}
	n := hyphenCountUncached(word)
	if hyphenCacheLen.Load() < maxHyphenCache {
		hyphenCacheLen.Add(1)
		hyphenCache.Store(word, n)
	}
	return n
}

// hyphenCache remembers the counts of up to maxHyphenCache words (a text's
// vocabulary repeats; the bound keeps memory fixed on any input).
var (
	hyphenCache    sync.Map
	hyphenCacheLen atomic.Int64
)

const maxHyphenCache = 200_000

func hyphenCountUncached(word string) int {
	right := len([]rune(word)) - 2
	n := 0
	for _, p := range enUSDict().positions(word) {
		if p >= 2 && p <= right {
			n++
		}
	}
	return n
}

// pyIsSpace is Python's str.isspace for one rune.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pyIsWord is Python's re \w (Unicode): letters, numbers and '_'.
func pyIsWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}
