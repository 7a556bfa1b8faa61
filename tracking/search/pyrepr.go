package search

import (
	"sort"
	"strings"
	"unicode"
)

// pySet renders a set of strings as Python's repr does, sorted so that
// messages are stable: {'a', 'b'}.
func pySet(set map[string]bool) string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "{" + pyItems(keys) + "}"
}

// pyList renders a list of strings as Python's repr does: ['a', 'b'].
func pyList(items []string) string { return "[" + pyItems(items) + "]" }

func pyItems(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}

// setOf builds a set from its members.
func setOf(members ...string) map[string]bool {
	m := make(map[string]bool, len(members))
	for _, s := range members {
		m[s] = true
	}
	return m
}

// pyIsLower is Python's str.islower: at least one cased character, and no
// upper-case or title-case one.
func pyIsLower(s string) bool {
	cased := false
	for _, r := range s {
		switch {
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			return false
		case unicode.IsLower(r):
			cased = true
		}
	}
	return cased
}
