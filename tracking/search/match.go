package search

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/berthml/berth/tracking"
)

// Match reports whether an entity satisfies every comparison of f, with the
// semantics of MLflow's SQL store. get returns the entity's value for a kind
// and key (a metric's latest value, a param, a tag, an attribute); ok false
// means the entity has no such value, and then the comparison is false
// whatever the operator, != and NOT IN included. A value may be a string,
// any integer or float type, or a []string of several values (an entity
// with several dataset inputs), which matches when any of them does. A nil
// or empty filter matches everything.
//
// Numbers compare as float64; a string compared with a number is parsed as
// one, and does not match if it is not a number. Strings compare byte-wise.
// LIKE and ILIKE follow Like and ILike.
func Match(f *tracking.Filter, get func(kind, key string) (value any, ok bool)) bool {
	if f == nil {
		return true
	}
	for _, c := range f.Comparisons {
		v, ok := get(c.Kind, c.Key)
		if !ok || v == nil {
			return false
		}
		if vs, many := v.([]string); many {
			hit := false
			for _, s := range vs {
				if matchOne(c, s) {
					hit = true
					break
				}
			}
			if !hit {
				return false
			}
			continue
		}
		if !matchOne(c, v) {
			return false
		}
	}
	return true
}

// matchOne applies one comparison to one value.
func matchOne(c tracking.Comparison, lhs any) bool {
	switch c.Op {
	case tracking.OpIn, tracking.OpNotIn:
		list, ok := c.Value.([]string)
		if !ok {
			return false
		}
		s := asString(lhs)
		found := false
		for _, e := range list {
			if e == s {
				found = true
				break
			}
		}
		return found == (c.Op == tracking.OpIn)
	case tracking.OpLike, tracking.OpILike:
		p, ok := c.Value.(string)
		return ok && like(asString(lhs), p, c.Op == tracking.OpILike)
	}
	switch rhs := c.Value.(type) {
	case float64:
		l, ok := asFloat(lhs)
		return ok && compareFloats(l, rhs, c.Op)
	case string:
		return compareInts(strings.Compare(asString(lhs), rhs), c.Op)
	}
	return false
}

// compareFloats applies op to a and b; with a NaN only != holds.
func compareFloats(a, b float64, op string) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return op == tracking.OpNotEqual
	}
	switch {
	case a < b:
		return compareInts(-1, op)
	case a > b:
		return compareInts(1, op)
	}
	return compareInts(0, op)
}

// compareInts applies op to the result of a three-way comparison.
func compareInts(cmp int, op string) bool {
	switch op {
	case tracking.OpEqual:
		return cmp == 0
	case tracking.OpNotEqual:
		return cmp != 0
	case tracking.OpGreater:
		return cmp > 0
	case tracking.OpGreaterEqual:
		return cmp >= 0
	case tracking.OpLess:
		return cmp < 0
	case tracking.OpLessEqual:
		return cmp <= 0
	}
	return false
}

// asFloat converts a numeric value, or a string holding a number.
func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// asString renders a value for a string comparison.
func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// Like reports whether s matches the SQL LIKE pattern, case-sensitively: %
// matches any run of characters, _ exactly one character, and a backslash
// makes the next character literal (\%, \_, \\), as with PostgreSQL's and
// MySQL's default escape (SQLite needs an explicit ESCAPE '\'). The whole of
// s must match.
func Like(s, pattern string) bool { return like(s, pattern, false) }

// ILike is Like ignoring case (Unicode simple case folding).
func ILike(s, pattern string) bool { return like(s, pattern, true) }

// likeElem is one element of a compiled LIKE pattern.
type likeElem struct {
	r        rune
	any, one bool // %, _
}

func like(s, pattern string, fold bool) bool {
	var p []likeElem
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		i += n
		switch r {
		case '%':
			if len(p) == 0 || !p[len(p)-1].any {
				p = append(p, likeElem{any: true})
			}
		case '_':
			p = append(p, likeElem{one: true})
		case '\\':
			if i < len(pattern) {
				r, n = utf8.DecodeRuneInString(pattern[i:])
				i += n
			}
			p = append(p, likeElem{r: r})
		default:
			p = append(p, likeElem{r: r})
		}
	}
	str := []rune(s)
	// Greedy matching that backtracks to the last %, linear in practice.
	si, pi, star, mark := 0, 0, -1, 0
	for si < len(str) {
		switch {
		case pi < len(p) && p[pi].any:
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi].one || runeEq(p[pi].r, str[si], fold)):
			si++
			pi++
		case star >= 0:
			mark++
			si, pi = mark, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].any {
		pi++
	}
	return pi == len(p)
}

// runeEq compares two runes, ignoring case when fold is set.
func runeEq(a, b rune, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}
