package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a lexical token of a filter or order_by string.
type tokKind int

const (
	tWS       tokKind = iota // a run of white space
	tWord                    // \w[$#\w]*: a name or a keyword
	tString                  // '...' (sqlparse String.Single)
	tDQ                      // "..." (sqlparse String.Symbol, grouped as an identifier)
	tBacktick                // `...` (sqlparse Name)
	tNumber                  // -?digits[.digits][e-?digits]
	tDot                     // .
	tComma                   // ,
	tLParen                  // (
	tRParen                  // )
	tSemi                    // ;
	tCmp                     // a run of <>=~!
	tOther                   // any other single character, or an unterminated quote
)

// token is one lexeme; start and end are byte offsets into the source.
type token struct {
	kind       tokKind
	start, end int
}

// lex splits s into tokens the way sqlparse's lexer does for the subset of
// SQL that MLflow's search languages use. It never fails: a character it
// cannot place, such as an unterminated quote, becomes a one-character tOther
// token, as sqlparse makes it an Error token.
func lex(s string) []token {
	var toks []token
	quotes := &quoteEnds{s: s}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		start := i
		kind := tOther
		end := i + size
		switch {
		case unicode.IsSpace(r):
			kind = tWS
			for end < len(s) {
				r2, n := utf8.DecodeRuneInString(s[end:])
				if !unicode.IsSpace(r2) {
					break
				}
				end += n
			}
		case r == '\'' || r == '"':
			if e, ok := quotes.scanQuoted(i); ok {
				kind, end = tString, e
				if r == '"' {
					kind = tDQ
				}
			}
		case r == '`':
			if e, ok := quotes.scanQuoted(i); ok {
				kind, end = tBacktick, e
			}
		case isDigit(r) || ((r == '-' || r == '.') && numberFollows(s, i, toks)):
			switch e, ok := scanNumber(s, i); {
			case ok:
				kind, end = tNumber, e
			case isDigit(r):
				kind, end = tWord, scanWord(s, i)
			case r == '.':
				kind = tDot
			}
		case isWordStart(r):
			kind, end = tWord, scanWord(s, i)
		case r == '.':
			kind = tDot
		case r == ',':
			kind = tComma
		case r == '(':
			kind = tLParen
		case r == ')':
			kind = tRParen
		case r == ';':
			kind = tSemi
		case strings.ContainsRune("<>=~!", r):
			kind = tCmp
			for end < len(s) && strings.IndexByte("<>=~!", s[end]) >= 0 {
				end++
			}
		}
		toks = append(toks, token{kind: kind, start: start, end: end})
		i = end
	}
	return toks
}

// quoteEnds finds where quoted runs end. For a quote character q, ends(q)[k]
// is the end of a run whose opening quote is at k-1 (-1 if it never closes):
// a doubled quote stands for itself and, where backslash escapes are on, a
// backslash escapes the next character. It is computed once per quote
// character, right to left, so that lexing stays linear however many
// unterminated quotes the input holds.
type quoteEnds struct {
	s    string
	memo map[byte][]int
}

func (e *quoteEnds) ends(q byte) []int {
	if f, ok := e.memo[q]; ok {
		return f
	}
	s, n := e.s, len(e.s)
	f := make([]int, n+2)
	f[n], f[n+1] = -1, -1
	for k := n - 1; k >= 0; k-- {
		switch {
		case s[k] == '\\' && q != '`' && k+1 < n:
			f[k] = f[k+2]
		case s[k] == q && k+1 < n && s[k+1] == q:
			f[k] = f[k+2]
		case s[k] == q:
			f[k] = k + 1
		default:
			f[k] = f[k+1]
		}
	}
	if e.memo == nil {
		e.memo = map[byte][]int{}
	}
	e.memo[q] = f
	return f
}

// scanQuoted returns the end of the quoted run that opens at s[i]; ok is
// false when the quote is never closed.
func (e *quoteEnds) scanQuoted(i int) (end int, ok bool) {
	end = e.ends(e.s[i])[i+1]
	return end, end >= 0
}

// numberFollows reports whether the '-' or '.' at s[i] starts a number: a
// digit must follow, and a '.' must not continue an identifier.
func numberFollows(s string, i int, prev []token) bool {
	j := i + 1
	if s[i] == '-' && j < len(s) && s[j] == '.' {
		j++
	}
	if j >= len(s) || !isDigit(rune(s[j])) {
		return false
	}
	if s[i] == '.' && len(prev) > 0 {
		switch prev[len(prev)-1].kind {
		case tWord, tDQ, tBacktick, tString, tRParen, tNumber:
			return false
		}
	}
	return true
}

// scanNumber scans -?(\d+(\.\d*)?|\.\d+)([eE]-?\d+)? at s[i]. A number that
// runs straight into a letter or underscore is not a number (ok is false).
func scanNumber(s string, i int) (end int, ok bool) {
	j := i
	if s[j] == '-' {
		j++
	}
	digits := func() int {
		k := j
		for j < len(s) && isDigit(rune(s[j])) {
			j++
		}
		return j - k
	}
	n := digits()
	if j < len(s) && s[j] == '.' {
		j++
		n += digits()
	}
	if n == 0 {
		return 0, false
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j
		j++
		if j < len(s) && s[j] == '-' {
			j++
		}
		if digits() == 0 {
			j = k
		}
	}
	if j < len(s) {
		r, _ := utf8.DecodeRuneInString(s[j:])
		if isWordStart(r) || isDigit(r) {
			return 0, false
		}
	}
	return j, true
}

// scanWord scans \w[$#\w]* at s[i].
func scanWord(s string, i int) int {
	_, n := utf8.DecodeRuneInString(s[i:])
	j := i + n
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if !isWordStart(r) && !isDigit(r) && r != '$' && r != '#' {
			break
		}
		j += n
	}
	return j
}

func isDigit(r rune) bool     { return r >= '0' && r <= '9' }
func isWordStart(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
