package search

import (
	"strconv"
	"strings"

	"github.com/berthml/berth/tracking"
)

// Logged-model search (MLflow 3's logged-models/search) has its own small
// filter language: "<entity>.<key> <op> <value>" joined by AND, where
// entity is attributes, metrics, params or tags (a bare name is an
// attribute). Keys may be quoted with backticks or double quotes.

// loggedModelEntities are the entity types, as MLflow lists them.
var loggedModelEntities = map[string]string{
	"attributes": tracking.KindAttribute, "attribute": tracking.KindAttribute,
	"metrics": tracking.KindMetric, "metric": tracking.KindMetric,
	"params": tracking.KindParam, "param": tracking.KindParam,
	"tags": tracking.KindTag, "tag": tracking.KindTag,
}

// LoggedModelAttributes are the attributes a logged-model filter or
// order_by may name; the numeric ones compare as numbers.
var (
	loggedModelStringAttributes  = []string{"model_id", "model_type", "name", "source_run_id", "status"}
	loggedModelNumericAttributes = []string{"creation_time", "creation_timestamp", "experiment_id", "last_updated_time", "last_updated_timestamp"}
)

const (
	loggedModelStringOps  = "('=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN')"
	loggedModelNumericOps = "('=', '!=', '<', '<=', '>', '>=')"
)

func isLoggedModelNumericAttr(key string) bool {
	for _, a := range loggedModelNumericAttributes {
		if a == key {
			return true
		}
	}
	return false
}

func isLoggedModelAttr(key string) bool {
	for _, a := range loggedModelStringAttributes {
		if a == key {
			return true
		}
	}
	return isLoggedModelNumericAttr(key)
}

// lmScanner walks a logged-model filter string.
type lmScanner struct {
	s   string
	pos int
}

func (sc *lmScanner) skipSpace() {
	for sc.pos < len(sc.s) && strings.IndexByte(" \t\r\n", sc.s[sc.pos]) >= 0 {
		sc.pos++
	}
}

func (sc *lmScanner) eof() bool { sc.skipSpace(); return sc.pos >= len(sc.s) }

func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// quoted scans a string quoted with q at sc.pos (a doubled quote inside
// stands for one) and returns its contents.
func (sc *lmScanner) quoted(q byte) (string, bool) {
	var b strings.Builder
	for i := sc.pos + 1; i < len(sc.s); i++ {
		if sc.s[i] != q {
			b.WriteByte(sc.s[i])
			continue
		}
		if i+1 < len(sc.s) && sc.s[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		sc.pos = i + 1
		return b.String(), true
	}
	return "", false
}

// identifier reads "entity.key", "entity.`key`", "entity.\"key\"" or a bare
// attribute name, and returns its text, entity kind and key.
func (sc *lmScanner) identifier() (text, kind, key string, err error) {
	start := sc.pos
	for sc.pos < len(sc.s) && isIdentByte(sc.s[sc.pos]) {
		sc.pos++
	}
	word := sc.s[start:sc.pos]
	if word == "" {
		return "", "", "", tracking.InvalidParameter("Invalid filter string: expected an identifier at position %d of '%s'.", start, sc.s)
	}
	entity, rest, dotted := strings.Cut(word, ".")
	if !dotted {
		if !isLoggedModelAttr(word) {
			return "", "", "", invalidLoggedModelAttr(word)
		}
		return word, tracking.KindAttribute, word, nil
	}
	k, ok := loggedModelEntities[entity]
	if !ok {
		return "", "", "", tracking.InvalidParameter("Invalid entity type: '%s'. Expected one of ['attributes', 'metrics', 'params', 'tags'].", entity)
	}
	if rest == "" && sc.pos < len(sc.s) && (sc.s[sc.pos] == '`' || sc.s[sc.pos] == '"') {
		q, ok := sc.quoted(sc.s[sc.pos])
		if !ok {
			return "", "", "", tracking.InvalidParameter("Invalid filter string: unterminated quoted key in '%s'.", sc.s)
		}
		rest = q
	}
	if rest == "" {
		return "", "", "", tracking.InvalidParameter("Invalid filter string: '%s' has no key after '%s.'.", sc.s, entity)
	}
	if k == tracking.KindAttribute && !isLoggedModelAttr(rest) {
		return "", "", "", invalidLoggedModelAttr(rest)
	}
	return sc.s[start:sc.pos], k, rest, nil
}

func invalidLoggedModelAttr(key string) error {
	all := append(append([]string{}, loggedModelStringAttributes...), loggedModelNumericAttributes...)
	return tracking.InvalidParameter("Invalid attribute: '%s'. Expected one of ['%s'].", key, strings.Join(all, "', '"))
}

// operator reads a comparison operator: a run of <>=! characters, or LIKE,
// ILIKE, IN, NOT IN in any case. It returns it upper-cased.
func (sc *lmScanner) operator() string {
	sc.skipSpace()
	start := sc.pos
	for sc.pos < len(sc.s) && strings.IndexByte("<>=!", sc.s[sc.pos]) >= 0 {
		sc.pos++
	}
	if sc.pos > start {
		return sc.s[start:sc.pos]
	}
	for sc.pos < len(sc.s) && (sc.s[sc.pos] >= 'a' && sc.s[sc.pos] <= 'z' || sc.s[sc.pos] >= 'A' && sc.s[sc.pos] <= 'Z') {
		sc.pos++
	}
	op := strings.ToUpper(sc.s[start:sc.pos])
	if op == "NOT" {
		save := sc.pos
		sc.skipSpace()
		w := sc.pos
		for sc.pos < len(sc.s) && (sc.s[sc.pos] >= 'a' && sc.s[sc.pos] <= 'z' || sc.s[sc.pos] >= 'A' && sc.s[sc.pos] <= 'Z') {
			sc.pos++
		}
		if strings.ToUpper(sc.s[w:sc.pos]) == "IN" {
			return tracking.OpNotIn
		}
		sc.pos = save
	}
	return op
}

// value reads a quoted string, a number, or a parenthesised list of quoted
// strings.
func (sc *lmScanner) value() (any, string, error) {
	sc.skipSpace()
	if sc.pos >= len(sc.s) {
		return nil, "", tracking.InvalidParameter("Invalid filter string: '%s' ends where a value is expected.", sc.s)
	}
	start := sc.pos
	switch c := sc.s[sc.pos]; {
	case c == '\'' || c == '"':
		v, ok := sc.quoted(c)
		if !ok {
			return nil, "", tracking.InvalidParameter("Invalid filter string: unterminated string in '%s'.", sc.s)
		}
		return v, sc.s[start:sc.pos], nil
	case c == '(':
		sc.pos++
		var list []string
		for {
			sc.skipSpace()
			if sc.pos >= len(sc.s) {
				return nil, "", tracking.InvalidParameter("Invalid filter string: unterminated list in '%s'.", sc.s)
			}
			if q := sc.s[sc.pos]; q == '\'' || q == '"' {
				v, ok := sc.quoted(q)
				if !ok {
					return nil, "", tracking.InvalidParameter("Invalid filter string: unterminated string in '%s'.", sc.s)
				}
				list = append(list, v)
			} else {
				return nil, "", tracking.InvalidParameter("Invalid filter string: a list takes quoted strings, in '%s'.", sc.s)
			}
			sc.skipSpace()
			if sc.pos < len(sc.s) && sc.s[sc.pos] == ',' {
				sc.pos++
				continue
			}
			if sc.pos < len(sc.s) && sc.s[sc.pos] == ')' {
				sc.pos++
				if len(list) == 0 {
					break
				}
				return list, sc.s[start:sc.pos], nil
			}
			return nil, "", tracking.InvalidParameter("Invalid filter string: expected ',' or ')' in '%s'.", sc.s)
		}
		return nil, "", tracking.InvalidParameter("Invalid filter string: empty list in '%s'.", sc.s)
	}
	for sc.pos < len(sc.s) && strings.IndexByte(" \t\r\n)", sc.s[sc.pos]) < 0 {
		sc.pos++
	}
	text := sc.s[start:sc.pos]
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !isRangeErr(err) || strings.ContainsAny(text, "xXpP_") || strings.EqualFold(strings.TrimLeft(text, "+-"), "inf") ||
		strings.EqualFold(strings.TrimLeft(text, "+-"), "infinity") || strings.EqualFold(strings.TrimLeft(text, "+-"), "nan") {
		return nil, text, tracking.InvalidParameter("Invalid filter string: expected a quoted string or a number, got '%s'.", text)
	}
	return f, text, nil
}

// ParseLoggedModelFilter parses the filter of MLflow 3's
// logged-models/search: comparisons joined by AND (any case) on
// metrics.<key> (numbers; =, !=, <, <=, >, >=), params.<key> and
// tags.<key> (quoted strings; =, !=, LIKE, ILIKE, IN, NOT IN), and the
// attributes name, model_id, model_type, status, source_run_id (strings)
// and creation_time, last_updated_timestamp, experiment_id (numbers), bare
// or as attributes.<name>. The empty string is the empty filter. Errors are
// INVALID_PARAMETER_VALUE with MLflow's messages where the recorded
// transcript has them.
func ParseLoggedModelFilter(s string) (*tracking.Filter, error) {
	f := &tracking.Filter{}
	sc := &lmScanner{s: s}
	listValues := 0
	for !sc.eof() {
		if len(f.Comparisons) > 0 {
			w := sc.pos
			for sc.pos < len(sc.s) && isIdentByte(sc.s[sc.pos]) {
				sc.pos++
			}
			if !strings.EqualFold(sc.s[w:sc.pos], "AND") {
				return nil, tracking.InvalidParameter("Invalid filter string: expected AND between comparisons, got '%s'.", sc.s[w:])
			}
			if sc.eof() {
				return nil, tracking.InvalidParameter("Invalid filter string: '%s' ends with AND.", s)
			}
		}
		if len(f.Comparisons) == MaxFilterComparisons {
			return nil, tracking.InvalidParameter("Invalid filter: it has more than %d comparisons. Split the search into several.", MaxFilterComparisons)
		}
		text, kind, key, err := sc.identifier()
		if err != nil {
			return nil, err
		}
		op := sc.operator()
		numeric := kind == tracking.KindMetric || kind == tracking.KindAttribute && isLoggedModelNumericAttr(key)
		switch {
		case numeric && numericOps[op]:
		case !numeric && stringOps[op]:
		case numeric && !stringOps[op]:
			return nil, tracking.InvalidParameter("Invalid comparison operator for %s: '%s'. Expected one of %s.", text, op, loggedModelStringOps)
		case numeric:
			return nil, tracking.InvalidParameter("Invalid comparison operator for %s: '%s'. Expected one of %s.", text, op, loggedModelNumericOps)
		default:
			return nil, tracking.InvalidParameter("Invalid comparison operator for %s: '%s'. Expected one of %s.", text, op, loggedModelStringOps)
		}
		v, vtext, err := sc.value()
		if err != nil {
			return nil, err
		}
		switch v := v.(type) {
		case float64:
			if !numeric {
				return nil, tracking.InvalidParameter("Invalid value for %s: expected a quoted string, got %s.", text, vtext)
			}
		case string:
			if numeric {
				return nil, tracking.InvalidParameter("Invalid value for %s: expected a number, got %s.", text, vtext)
			}
			if op == tracking.OpIn || op == tracking.OpNotIn {
				return nil, tracking.InvalidParameter("Invalid value for %s %s: expected a list of quoted strings, e.g. ('a', 'b'), got %s.", text, op, vtext)
			}
		case []string:
			if op != tracking.OpIn && op != tracking.OpNotIn {
				return nil, tracking.InvalidParameter("Invalid comparator '%s' for a list of values. Use IN or NOT IN.", op)
			}
			if listValues += len(v); listValues > MaxFilterListValues {
				return nil, tracking.InvalidParameter("Invalid filter: its IN lists hold more than %d values together. Split the search into several.", MaxFilterListValues)
			}
		}
		f.Comparisons = append(f.Comparisons, tracking.Comparison{Kind: kind, Key: key, Op: op, Value: v})
	}
	return f, nil
}

var (
	numericOps = map[string]bool{"=": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}
	stringOps  = map[string]bool{"=": true, "!=": true, "LIKE": true, "ILIKE": true, "IN": true, "NOT IN": true}
)

// LoggedModelOrder is one order_by entry of logged-models/search as sent:
// a field name and a direction, optionally a dataset.
type LoggedModelOrder struct {
	FieldName     string
	Ascending     bool
	DatasetName   string
	DatasetDigest string
}

// ParseLoggedModelOrderBy checks the order_by of logged-models/search:
// metrics.<key> or an attribute.
func ParseLoggedModelOrderBy(in []LoggedModelOrder) ([]tracking.LoggedModelOrder, error) {
	out := make([]tracking.LoggedModelOrder, 0, len(in))
	for _, o := range in {
		field := strings.TrimSpace(o.FieldName)
		entity, key, dotted := strings.Cut(field, ".")
		kind := tracking.KindAttribute
		if dotted {
			k, ok := loggedModelEntities[entity]
			if !ok || k == tracking.KindParam || k == tracking.KindTag {
				return nil, tracking.InvalidParameter("Invalid order by field name: %s. Expected 'metrics.<key>' or an attribute.", o.FieldName)
			}
			kind = k
			key = trimBackticks(stripQuotes(key))
		} else {
			key = field
		}
		if kind == tracking.KindAttribute && !isLoggedModelAttr(key) {
			return nil, invalidLoggedModelAttr(key)
		}
		if key == "" {
			return nil, tracking.InvalidParameter("Invalid order by field name: %s.", o.FieldName)
		}
		out = append(out, tracking.LoggedModelOrder{Kind: kind, Key: key, Asc: o.Ascending,
			DatasetName: o.DatasetName, DatasetDigest: o.DatasetDigest})
	}
	return out, nil
}
