package search

import (
	"strconv"
	"strings"

	"github.com/berthml/berth/tracking"
)

// dialect is what differs between MLflow's search languages (runs,
// experiments, registered models, model versions): the identifiers they
// accept, the values those take and the comparators each allows.
type dialect struct {
	// quoteClauses quotes each invalid clause in "Invalid clause(s)"
	// messages, as SearchUtils does for runs; the other classes do not.
	quoteClauses bool
	// identifier resolves the left-hand side of a comparison.
	identifier func(raw string) (kind, key string, err error)
	// value checks and converts the right-hand side.
	value func(kind, key string, v operand) (any, error)
	// comparator checks op (upper case) against kind and key; it runs once
	// every comparison's identifier and value have been checked, as MLflow's
	// store checks comparators after the parser has finished.
	comparator func(kind, key, op string) error
}

// operand is the right-hand side of a comparison as the dialects see it.
type operand struct {
	atom
	text string // the source text of the atom
	src  string // the whole filter string, for the tokens of a list
}

// clause is one comparison as written: left operand, operator, right operand.
type clause struct {
	left, op, right atom
}

// Limits of a filter, so that a search stays a query the database can
// plan quickly: SQLite refuses ~1,000 AND-ed comparisons outright, and
// PostgreSQL's planning time grows with the square of their number (on a
// 2-core test machine: 45 ms for 20 comparisons on distinct params, 310 ms
// for 50, 2 s for 100). MLflow has no such limits; no filter written by
// hand or by MLflow's UI comes near them.
const (
	// MaxFilterComparisons is the most comparisons one filter may AND.
	MaxFilterComparisons = 50
	// MaxFilterListValues is the most values all of a filter's IN and
	// NOT IN lists may hold together.
	MaxFilterListValues = 1000
)

// parseFilter parses s in dialect d.
func parseFilter(s string, d *dialect) (*tracking.Filter, error) {
	f := &tracking.Filter{}
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	clauses, err := splitClauses(s, d)
	if err != nil {
		return nil, err
	}
	if len(clauses) > MaxFilterComparisons {
		return nil, tracking.InvalidParameter("Invalid filter: it has %d comparisons, more than the limit of %d. Split the search into several.", len(clauses), MaxFilterComparisons)
	}
	listValues := 0
	for _, c := range clauses {
		if c.left.kind != aIdent {
			return nil, tracking.InvalidParameter("Invalid comparison clause. Expected 'Identifier' found '%s'", s[c.left.start:c.left.end])
		}
		kind, key, err := d.identifier(s[c.left.start:c.left.end])
		if err != nil {
			return nil, err
		}
		v, err := d.value(kind, key, operand{atom: c.right, text: s[c.right.start:c.right.end], src: s})
		if err != nil {
			return nil, err
		}
		if l, ok := v.([]string); ok {
			if listValues += len(l); listValues > MaxFilterListValues {
				return nil, tracking.InvalidParameter("Invalid filter: its IN lists hold more than %d values together. Split the search into several.", MaxFilterListValues)
			}
		}
		f.Comparisons = append(f.Comparisons, tracking.Comparison{Kind: kind, Key: key, Op: c.op.word, Value: v})
	}
	for _, c := range f.Comparisons {
		if err := d.comparator(c.Kind, c.Key, c.Op); err != nil {
			return nil, err
		}
		_, isList := c.Value.([]string)
		if isIn := c.Op == tracking.OpIn || c.Op == tracking.OpNotIn; isIn != isList {
			if isList {
				return nil, tracking.InvalidParameter("Invalid comparator '%s' for a list of values. Use IN or NOT IN.", c.Op)
			}
			return nil, tracking.InvalidParameter("Invalid comparator '%s': it takes a list of quoted string values, e.g. ('a', 'b').", c.Op)
		}
	}
	return f, nil
}

// splitClauses finds the comparisons of s the way sqlparse groups them and
// MLflow's _process_statement checks them: any atom that is neither part of
// a comparison nor AND is an invalid clause.
func splitClauses(s string, d *dialect) ([]clause, error) {
	toks := lex(s)
	for i, t := range toks {
		if t.kind != tSemi {
			continue
		}
		for _, u := range toks[i+1:] {
			if u.kind != tWS && u.kind != tSemi {
				return nil, tracking.InvalidParameter("Search filter contained multiple expression '%s'. Provide AND-ed expression list.", s)
			}
		}
		break // what follows the first ';' follows every other one
	}
	atoms := group(s, toks)
	var (
		seq      []any // clause, or the atom of an AND
		invalids []string
	)
	for i := 0; i < len(atoms); {
		a := atoms[i]
		if i+2 < len(atoms) && isOperand(a) && atoms[i+1].kind == aOp && isOperand(atoms[i+2]) {
			op, r := atoms[i+1], atoms[i+2]
			isIn := op.word == "IN" || op.word == "NOT IN"
			if !isIn || (a.kind == aIdent && r.kind == aParen) {
				seq = append(seq, clause{a, op, r})
				i += 3
				continue
			}
		}
		if a.kind == aKeyword && a.word == "AND" {
			seq = append(seq, a)
		} else {
			invalids = append(invalids, s[a.start:a.end])
		}
		i++
	}
	if len(invalids) > 0 {
		return nil, invalidClauses(d, invalids, "")
	}
	// MLflow ignores a leading, trailing or doubled AND and treats two
	// comparisons side by side as ANDed; berth insists on
	// <comparison> (AND <comparison>)*.
	dangling := invalidClauses(d, []string{"AND"}, " (expected a comparison on each side of AND)")
	var out []clause
	for i, e := range seq {
		c, isClause := e.(clause)
		switch {
		case i%2 == 0 && !isClause:
			return nil, dangling
		case i%2 == 1 && isClause:
			return nil, invalidClauses(d, []string{s[c.left.start:c.right.end]}, " (expected AND between comparisons)")
		case isClause:
			out = append(out, c)
		}
	}
	if len(seq)%2 == 0 {
		return nil, dangling
	}
	return out, nil
}

// invalidClauses is MLflow's "Invalid clause(s) in filter string" error.
func invalidClauses(d *dialect, clauses []string, why string) error {
	if d.quoteClauses {
		for i, c := range clauses {
			clauses[i] = "'" + c + "'"
		}
	}
	return tracking.InvalidParameter("Invalid clause(s) in filter string: %s%s", strings.Join(clauses, ", "), why)
}

// splitIdentifier splits "entity.key" at the first dot; a name without a dot
// is an attribute. It is MLflow's identifier.split(".", 1).
func splitIdentifier(raw string) (entity, key string, dotted bool) {
	entity, key, dotted = strings.Cut(raw, ".")
	if !dotted {
		return "", raw, false
	}
	return entity, key, true
}

// isQuoted reports whether v starts and ends with q and is at least two long.
func isQuoted(v string, q byte) bool {
	return len(v) >= 2 && v[0] == q && v[len(v)-1] == q
}

// trimBackticks removes enclosing backticks, as SearchUtils._trim_backticks.
func trimBackticks(v string) string {
	if isQuoted(v, '`') {
		return v[1 : len(v)-1]
	}
	return v
}

// stripQuotes removes enclosing single or double quotes, as
// SearchUtils._strip_quotes. Like MLflow it only trims the ends: a doubled
// quote inside the value stays doubled.
func stripQuotes(v string) string {
	if isQuoted(v, '\'') || isQuoted(v, '"') {
		return v[1 : len(v)-1]
	}
	return v
}

// unquoteKey strips quotes then backticks from a key, as MLflow does.
func unquoteKey(key string) string { return trimBackticks(stripQuotes(key)) }

// quotedValue is SearchUtils._strip_quotes(value, expect_quoted_value=True).
func quotedValue(v operand) (string, error) {
	if isQuoted(v.text, '\'') || isQuoted(v.text, '"') {
		return v.text[1 : len(v.text)-1], nil
	}
	return "", tracking.InvalidParameter("Parameter value is either not quoted or unidentified quote types used for string value %s. Use either single or double quotes.", v.text)
}

// isStringish reports whether v is what MLflow accepts as a string value: a
// single-quoted string, or an identifier (which then has to be "quoted").
func isStringish(v operand) bool { return v.kind == aString || v.kind == aIdent }

// number converts a numeric operand.
func number(v operand) (float64, bool) {
	if v.kind != aNumber {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.text, 64)
	if err != nil && !isRangeErr(err) {
		return 0, false
	}
	return f, true
}

// isRangeErr reports a ParseFloat overflow, which Python's float() answers
// with an infinity rather than an error.
func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
