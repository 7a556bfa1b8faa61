package search

import "strings"

// atomKind classifies the groups that sqlparse would build from tokens.
type atomKind int

const (
	aIdent   atomKind = iota // name('.'part)*, or a lone "quoted" name
	aString                  // '...'
	aNumber                  // 1, -2.5, 1e3
	aParen                   // ( ... ), balanced
	aKeyword                 // AND, OR, NULL, ... standing alone
	aOp                      // a comparison operator: = != < ... LIKE, IN, NOT IN
	aOther                   // anything else: , ; + stray quotes and parens
)

// atom is a group of tokens; src[start:end] is its text.
type atom struct {
	kind       atomKind
	start, end int
	word       string  // upper-cased keyword or operator, words joined by one space
	inner      []token // for aParen: the tokens between the parentheses
}

// keywords are the words that stand for themselves rather than name a
// column when they appear alone.
var keywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "IN": true, "IS": true, "NULL": true,
	"TRUE": true, "FALSE": true, "LIKE": true, "ILIKE": true, "RLIKE": true,
	"REGEXP": true, "BETWEEN": true, "EXISTS": true, "SELECT": true, "FROM": true,
	"WHERE": true, "CASE": true, "WHEN": true, "THEN": true, "ELSE": true, "END": true,
}

// likeOps are the word operators sqlparse lexes as comparisons, optionally
// preceded by NOT.
var likeOps = map[string]bool{"LIKE": true, "ILIKE": true, "RLIKE": true, "REGEXP": true}

// group turns tokens into atoms, skipping white space.
func group(src string, toks []token) []atom {
	var atoms []atom
	text := func(t token) string { return src[t.start:t.end] }
	nextNonWS := func(i int) int {
		for i < len(toks) && toks[i].kind == tWS {
			i++
		}
		return i
	}
	closing := matchParens(toks)
	for i := 0; i < len(toks); {
		t := toks[i]
		switch t.kind {
		case tWS:
			i++
		case tWord, tDQ, tBacktick:
			j := i + 1
			for j+1 < len(toks) && toks[j].kind == tDot {
				switch toks[j+1].kind {
				case tWord, tDQ, tBacktick, tString, tNumber:
					j += 2
					continue
				}
				break
			}
			if j < len(toks) && toks[j].kind == tDot {
				j++ // a trailing dot stays part of the name: "metrics."
			}
			if j == i+1 && t.kind == tWord && keywords[strings.ToUpper(text(t))] {
				w := strings.ToUpper(text(t))
				a := atom{kind: aKeyword, start: t.start, end: t.end, word: w}
				switch {
				case likeOps[w] || w == "IN":
					a.kind = aOp
				case w == "NOT":
					k := nextNonWS(i + 1)
					if k < len(toks) && toks[k].kind == tWord {
						w2 := strings.ToUpper(text(toks[k]))
						p := nextNonWS(k + 1)
						if likeOps[w2] || (w2 == "IN" && p < len(toks) && toks[p].kind == tLParen) {
							a = atom{kind: aOp, start: t.start, end: toks[k].end, word: "NOT " + w2}
							j = k + 1
						}
					}
				}
				atoms = append(atoms, a)
				i = j
				continue
			}
			atoms = append(atoms, atom{kind: aIdent, start: t.start, end: toks[j-1].end})
			i = j
		case tString:
			atoms = append(atoms, atom{kind: aString, start: t.start, end: t.end})
			i++
		case tNumber:
			atoms = append(atoms, atom{kind: aNumber, start: t.start, end: t.end})
			i++
		case tCmp:
			atoms = append(atoms, atom{kind: aOp, start: t.start, end: t.end, word: text(t)})
			i++
		case tLParen:
			j, ok := closing[i]
			if !ok {
				atoms = append(atoms, atom{kind: aOther, start: t.start, end: t.end})
				i++
				continue
			}
			atoms = append(atoms, atom{kind: aParen, start: t.start, end: toks[j].end, inner: toks[i+1 : j]})
			i = j + 1
		default:
			atoms = append(atoms, atom{kind: aOther, start: t.start, end: t.end})
			i++
		}
	}
	return atoms
}

// isOperand reports whether a can stand on either side of a comparison, as
// sqlparse's group_comparison allows.
func isOperand(a atom) bool {
	switch a.kind {
	case aIdent, aString, aNumber, aParen:
		return true
	case aKeyword:
		return a.word == "NULL"
	}
	return false
}

// matchParens maps the index of each '(' token that is closed to the index
// of its ')', in one pass, so that untrusted input with many unmatched
// parentheses costs linear time.
func matchParens(toks []token) map[int]int {
	closing := map[int]int{}
	var open []int
	for i, t := range toks {
		switch t.kind {
		case tLParen:
			open = append(open, i)
		case tRParen:
			if len(open) > 0 {
				closing[open[len(open)-1]] = i
				open = open[:len(open)-1]
			}
		}
	}
	return closing
}
