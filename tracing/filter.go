package tracing

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/berthml/berth/tracking"
)

// Entities of the trace filter language, after MLflow's aliases are
// resolved (attributes, trace → attribute; tags → tag; metadata →
// request_metadata).
const (
	EntityAttribute = "attribute"
	EntityTag       = "tag"
	EntityMetadata  = "request_metadata"
	EntitySpan      = "span"
	// EntitySpanAttribute is span.attributes.<key>: a span attribute's
	// value as text (a string attribute's string, any other its JSON).
	EntitySpanAttribute = "span_attribute"
	EntityFeedback      = "feedback"
	EntityExpectation   = "expectation"
)

// validEntities is MLflow's list, in the order its message shows it.
const validEntities = "{'attributes', 'span', 'attribute', 'trace', 'request_metadata', 'tag', 'tags', 'feedback', 'metadata', 'expectation'}"

var entityAlias = map[string]string{
	"attribute": EntityAttribute, "attributes": EntityAttribute, "trace": EntityAttribute,
	"tag": EntityTag, "tags": EntityTag,
	"request_metadata": EntityMetadata, "metadata": EntityMetadata,
	"span": EntitySpan, "feedback": EntityFeedback, "expectation": EntityExpectation,
}

// Attribute keys, after aliases (timestamp → timestamp_ms, execution_time
// → execution_time_ms, state → status, trace_id → request_id).
var attributeAlias = map[string]string{
	"request_id": "request_id", "trace_id": "request_id",
	"timestamp": "timestamp_ms", "timestamp_ms": "timestamp_ms",
	"execution_time": "execution_time_ms", "execution_time_ms": "execution_time_ms",
	"end_time": "end_time_ms", "end_time_ms": "end_time_ms",
	"status": "status", "state": "status",
	"name": "name", "run_id": "run_id", "client_request_id": "client_request_id",
}

// numericAttributes compare as numbers; the others as strings.
var numericAttributes = map[string]bool{"timestamp_ms": true, "execution_time_ms": true, "end_time_ms": true}

// Condition is one comparison of a filter: Entity.Key Op Value.
type Condition struct {
	Entity string
	Key    string
	Op     string   // =, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN
	Value  string   // a string operand
	Number int64    // a numeric operand (numeric attributes)
	Values []string // IN and NOT IN
}

// ParseFilter parses a traces/search filter: comparisons joined by AND.
// Every error is INVALID_PARAMETER_VALUE naming what was wrong.
func ParseFilter(s string) ([]Condition, error) {
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	var out []Condition
	for i := 0; i < len(toks); {
		if len(out) > 0 {
			if toks[i].kind != tWord || !strings.EqualFold(toks[i].text, "AND") {
				return nil, invalid("Invalid filter '%s': expected AND between comparisons, got '%s'.", s, toks[i].text)
			}
			i++
		}
		c, n, err := parseComparison(s, toks[i:])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		i += n
	}
	return out, nil
}

func invalid(format string, args ...any) error { return tracking.InvalidParameter(format, args...) }

func parseComparison(s string, toks []token) (Condition, int, error) {
	if len(toks) == 0 || toks[0].kind != tWord {
		return Condition{}, 0, invalid("Invalid filter '%s': expected an identifier such as tag.key.", s)
	}
	c := Condition{}
	entity, key, ok := strings.Cut(toks[0].text, ".")
	if !ok || key == "" {
		return Condition{}, 0, invalid("Invalid identifier '%s'. Expected an entity and a key such as 'tag.key' or 'attribute.status'.", toks[0].text)
	}
	c.Entity, ok = entityAlias[entity]
	if !ok {
		return Condition{}, 0, invalid("Invalid entity type '%s'. Valid values are %s", entity, validEntities)
	}
	c.Key = unquote(key)
	if c.Entity == EntitySpan {
		if attr, ok := strings.CutPrefix(key, "attributes."); ok {
			c.Entity, c.Key = EntitySpanAttribute, unquote(attr)
		}
	}
	if c.Key == "" {
		return Condition{}, 0, invalid("Invalid identifier '%s': the key is empty.", toks[0].text)
	}
	n := 1
	if n >= len(toks) || toks[n].kind != tOp && toks[n].kind != tWord {
		return Condition{}, 0, invalid("Invalid filter '%s': expected a comparison operator after '%s'.", s, toks[0].text)
	}
	op := strings.ToUpper(toks[n].text)
	n++
	if op == "NOT" {
		if n >= len(toks) || !strings.EqualFold(toks[n].text, "IN") {
			return Condition{}, 0, invalid("Invalid filter '%s': NOT must be followed by IN.", s)
		}
		op = "NOT IN"
		n++
	}
	if op == "<>" {
		op = "!="
	}
	c.Op = op
	if n >= len(toks) {
		return Condition{}, 0, invalid("Invalid filter '%s': expected a value after '%s'.", s, op)
	}
	v := toks[n]
	n++
	if err := c.check(v); err != nil {
		return Condition{}, 0, err
	}
	return c, n, nil
}

// check validates the comparator and the operand against the entity.
func (c *Condition) check(v token) error {
	allowed := map[string]bool{"=": true, "!=": true, "LIKE": true, "ILIKE": true}
	switch c.Entity {
	case EntityAttribute:
		k, ok := attributeAlias[c.Key]
		if !ok {
			return invalid("Invalid attribute key '%s'. Valid keys are request_id, timestamp_ms, execution_time_ms, end_time_ms, status, name, run_id, client_request_id.", c.Key)
		}
		c.Key = k
		if numericAttributes[k] {
			if v.kind != tNumber {
				return invalid("Invalid value %s for attribute '%s': expected a number.", v.text, k)
			}
			if !map[string]bool{"=": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}[c.Op] {
				return invalid("Invalid comparator '%s' for attribute '%s'. Valid comparators: =, !=, <, <=, >, >=.", c.Op, k)
			}
			n, err := strconv.ParseInt(v.text, 10, 64)
			if err != nil {
				f, ferr := strconv.ParseFloat(v.text, 64)
				if ferr != nil || f != f || f > 9.2e18 || f < -9.2e18 {
					return invalid("Invalid value %s for attribute '%s': expected an integer.", v.text, k)
				}
				n = int64(f)
			}
			c.Number = n
			return nil
		}
		if k == "status" || k == "request_id" {
			allowed["IN"], allowed["NOT IN"] = true, true
		}
	case EntitySpan:
		if c.Key != "name" && c.Key != "type" && c.Key != "status" {
			return invalid("Invalid span key '%s'. Valid keys are name, type, status and attributes.<key>.", c.Key)
		}
	case EntitySpanAttribute:
		// A number is compared as its text: span.attributes.tokens = 12.
		if v.kind == tNumber && (c.Op == "=" || c.Op == "!=") {
			c.Value = v.text
			return nil
		}
	case EntityFeedback, EntityExpectation:
		allowed = map[string]bool{"=": true, "!=": true}
	}
	if !allowed[c.Op] {
		return invalid("Invalid comparator '%s' for %s.%s.", c.Op, c.Entity, c.Key)
	}
	if c.Op == "IN" || c.Op == "NOT IN" {
		if v.kind != tList {
			return invalid("Invalid value %s for %s: expected a parenthesised list of strings.", v.text, c.Op)
		}
		c.Values = v.list
		return nil
	}
	if v.kind != tString {
		if (c.Entity == EntityFeedback || c.Entity == EntityExpectation) && (v.kind == tNumber || v.kind == tWord) {
			c.Value = v.text
			return nil
		}
		return invalid("Invalid value %s for %s.%s: expected a quoted string.", v.text, c.Entity, c.Key)
	}
	c.Value = v.text
	return nil
}

// unquote strips a key's backquotes or double quotes: tags.`a.b`.
func unquote(k string) string {
	if len(k) >= 2 && (k[0] == '`' && k[len(k)-1] == '`' || k[0] == '"' && k[len(k)-1] == '"') {
		return k[1 : len(k)-1]
	}
	return k
}

// Order is one order_by clause.
type Order struct {
	Key       string // timestamp_ms, execution_time_ms, status, request_id, name, experiment_id
	Ascending bool
}

var orderKeys = map[string]string{
	"timestamp": "timestamp_ms", "timestamp_ms": "timestamp_ms",
	"execution_time": "execution_time_ms", "execution_time_ms": "execution_time_ms",
	"status": "status", "state": "status", "request_id": "request_id", "trace_id": "request_id",
	"name": "name", "experiment_id": "experiment_id",
}

// ParseOrderBy parses order_by clauses such as "timestamp_ms DESC" or
// "attribute.execution_time_ms". Without clauses the order is MLflow's
// default, newest first.
func ParseOrderBy(clauses []string) ([]Order, error) {
	var out []Order
	for _, cl := range clauses {
		f := strings.Fields(cl)
		if len(f) == 0 || len(f) > 2 {
			return nil, invalid("Invalid order_by clause '%s'. Expected '<key> [ASC|DESC]'.", cl)
		}
		asc := true
		if len(f) == 2 {
			switch strings.ToUpper(f[1]) {
			case "ASC":
			case "DESC":
				asc = false
			default:
				return nil, invalid("Invalid order_by clause '%s'. Expected '<key> [ASC|DESC]'.", cl)
			}
		}
		key := f[0]
		if e, k, ok := strings.Cut(key, "."); ok {
			if entityAlias[e] != EntityAttribute {
				return nil, invalid("Invalid order_by entity '%s' in '%s': only attributes can order traces.", e, cl)
			}
			key = k
		}
		k, ok := orderKeys[key]
		if !ok {
			return nil, invalid("Invalid order_by key '%s'. Valid keys are timestamp_ms, execution_time_ms, status, request_id, name, experiment_id.", key)
		}
		out = append(out, Order{Key: k, Ascending: asc})
	}
	if len(out) == 0 {
		out = []Order{{Key: "timestamp_ms"}}
	}
	return out, nil
}

func (c Condition) String() string { return fmt.Sprintf("%s.%s %s %q", c.Entity, c.Key, c.Op, c.Value) }
