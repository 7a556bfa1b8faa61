package sqlstore

import (
	"math"
	"strings"

	"github.com/berthml/berth/tracking"
)

// sqlParts accumulates a parameterised SQL fragment and its arguments, in
// placeholder order.
type sqlParts struct {
	conds []string
	args  []any
}

func (p *sqlParts) add(cond string, args ...any) {
	p.conds = append(p.conds, cond)
	p.args = append(p.args, args...)
}

// where returns " WHERE a AND b" or "".
func (p *sqlParts) where() string {
	if len(p.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(p.conds, " AND ")
}

// valueKind says how a column compares: as text or as a number.
type valueKind int

const (
	textValue   valueKind = iota
	numberValue           // DOUBLE PRECISION columns
	intValue              // BIGINT columns: whole values bind as int64
)

var numericOps = map[string]bool{
	tracking.OpEqual: true, tracking.OpNotEqual: true, tracking.OpGreater: true,
	tracking.OpGreaterEqual: true, tracking.OpLess: true, tracking.OpLessEqual: true,
}

var textOps = map[string]bool{
	tracking.OpEqual: true, tracking.OpNotEqual: true, tracking.OpLike: true,
	tracking.OpILike: true, tracking.OpIn: true, tracking.OpNotIn: true,
}

// comparison renders "<col> <op> <placeholders>" for one clause. col is SQL
// the caller controls; the value always travels as an argument.
func comparison(col string, kind valueKind, c tracking.Comparison) (string, []any, error) {
	what := c.Kind + "." + c.Key
	if kind == numberValue || kind == intValue {
		if !numericOps[c.Op] {
			return "", nil, tracking.InvalidParameter("Invalid comparator '%s' for numeric %s; expected one of =, !=, >, >=, <, <=", c.Op, what)
		}
		v, ok := asNumber(c.Value)
		if !ok {
			return "", nil, tracking.InvalidParameter("Expected numeric value for %s, got '%v'", what, c.Value)
		}
		if kind == intValue {
			if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
				return col + " " + c.Op + " ?", []any{int64(v)}, nil
			}
			return "CAST(" + col + " AS DOUBLE PRECISION) " + c.Op + " ?", []any{v}, nil
		}
		return col + " " + c.Op + " ?", []any{v}, nil
	}
	switch c.Op {
	case tracking.OpIn, tracking.OpNotIn:
		list, ok := c.Value.([]string)
		if !ok || len(list) == 0 {
			return "", nil, tracking.InvalidParameter("Expected a non-empty list of strings for %s %s, got '%v'", what, c.Op, c.Value)
		}
		args := make([]any, len(list))
		for i, v := range list {
			args[i] = v
		}
		return col + " " + c.Op + " (" + placeholders(len(list)) + ")", args, nil
	}
	v, ok := c.Value.(string)
	if !ok {
		return "", nil, tracking.InvalidParameter("Expected a quoted string value for %s, got '%v'", what, c.Value)
	}
	switch c.Op {
	case tracking.OpEqual, tracking.OpNotEqual, tracking.OpLike:
		return col + " " + c.Op + " ?", []any{v}, nil
	case tracking.OpILike:
		return "LOWER(" + col + ") LIKE LOWER(?)", []any{v}, nil
	}
	return "", nil, tracking.InvalidParameter("Invalid comparator '%s' for %s; expected one of =, !=, LIKE, ILIKE, IN, NOT IN", c.Op, what)
}

func asNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// orderTerm renders one ORDER BY term that puts NULLs last in either
// direction, as MLflow does. expr may contain placeholders bound by args.
func orderTerm(expr string, args []any, asc bool) (string, []any) {
	dir := "DESC"
	if asc {
		dir = "ASC"
	}
	term := "CASE WHEN " + expr + " IS NULL THEN 1 ELSE 0 END, " + expr + " " + dir
	return term, append(append([]any{}, args...), args...)
}

func unsupported(entity string, c tracking.Comparison) error {
	return tracking.InvalidParameter("Invalid %s search filter: unsupported key '%s.%s'", entity, c.Kind, c.Key)
}

func checkMaxResults(n, limit int) error {
	if n <= 0 {
		return tracking.InvalidParameter("Invalid value %d for parameter 'max_results' supplied. It must be a positive integer", n)
	}
	if n > limit {
		return tracking.InvalidParameter("Invalid value %d for parameter 'max_results' supplied. It must be at most %d", n, limit)
	}
	return nil
}

// limitOffset returns the LIMIT/OFFSET suffix and args: one extra row is
// fetched to learn whether a next page exists.
func limitOffset(maxResults, offset int) (string, []any) {
	return " LIMIT ? OFFSET ?", []any{maxResults + 1, offset}
}
