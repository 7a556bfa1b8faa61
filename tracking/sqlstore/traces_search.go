package sqlstore

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/berthml/berth/tracing"
)

// SearchTraces implements tracing.Store: the traces of the experiments that
// match every condition, in the order asked, request_id breaking ties.
func (s *Store) SearchTraces(ctx context.Context, req tracing.SearchRequest) ([]tracing.TraceInfo, bool, error) {
	if len(req.ExperimentIDs) == 0 {
		return nil, false, nil
	}
	var where []string
	var args []any
	exps := make([]any, 0, len(req.ExperimentIDs))
	for _, id := range req.ExperimentIDs {
		n, err := parseExperimentID(id)
		if err != nil {
			return nil, false, err
		}
		exps = append(exps, n)
	}
	where = append(where, `t.experiment_id IN (`+placeholders(len(exps))+`)`)
	args = append(args, exps...)
	for _, c := range req.Filter {
		if c.Entity == tracing.EntitySpanAttribute {
			// Few matching traces: their ids, read once from the index,
			// are the condition; many: checked per trace while the page
			// fills, which stops early.
			ids, few, err := s.spanAttributeTraces(ctx, c)
			if err != nil {
				return nil, false, err
			}
			if few {
				if len(ids) == 0 {
					return nil, false, nil
				}
				where = append(where, `t.trace_key IN (`+placeholders(len(ids))+`)`)
				args = append(args, ids...)
				continue
			}
		}
		rare, err := s.rareValue(ctx, c)
		if err != nil {
			return nil, false, err
		}
		w, a := traceCondition(c, rare)
		where = append(where, w)
		args = append(args, a...)
	}
	var order []string
	for _, o := range req.OrderBy {
		dir := " DESC"
		if o.Ascending {
			dir = " ASC"
		}
		switch o.Key {
		case "name":
			order = append(order, `(SELECT value FROM trace_tags n WHERE n.trace_key = t.trace_key AND n.key = 'mlflow.traceName')`+dir)
		case "status":
			order = append(order, "t.status"+dir)
		default: // timestamp_ms, execution_time_ms, request_id, experiment_id: columns of trace_info
			order = append(order, "t."+o.Key+dir)
		}
	}
	order = append(order, "t.request_id ASC")
	max := req.MaxResults
	q := `SELECT t.request_id FROM trace_info t WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + strings.Join(order, ", ") + ` LIMIT ? OFFSET ?`
	args = append(args, max, req.Offset)
	rows, err := s.query(ctx, s.read, q, args...)
	if err != nil {
		return nil, false, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, false, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	// As MLflow: a full page has a next page token, even when nothing
	// follows it.
	next := len(ids) >= max
	if len(ids) > max {
		ids = ids[:max]
	}
	infos, err := s.loadTraceInfos(ctx, s.read, ids)
	return infos, next, err
}

// traceCondition is the SQL of one parsed condition; entity and key names
// come from the parser's fixed sets, values are always arguments.
//
// rare says that an indexed equality (see rareValue) matches few rows: the
// matching trace ids are then read from the index, where a common value is
// better checked per trace while the newest page fills.
func traceCondition(c tracing.Condition, rare bool) (string, []any) {
	switch c.Entity {
	case tracing.EntityAttribute:
		switch c.Key {
		case "timestamp_ms", "execution_time_ms":
			return "t." + c.Key + " " + c.Op + " ?", []any{c.Number}
		case "end_time_ms":
			return "(t.timestamp_ms + t.execution_time_ms) " + c.Op + " ?", []any{c.Number}
		case "status", "request_id", "client_request_id":
			return compare("t."+c.Key, c)
		case "name":
			return kvExists("trace_tags", tracing.TagTraceName, c)
		case "run_id":
			return kvExists("trace_request_metadata", tracing.MetaSourceRun, c)
		}
	case tracing.EntityTag:
		if rare {
			w, a := prefixEqual("kv.value", c)
			return `t.trace_key IN (SELECT kv.trace_key FROM trace_tags kv WHERE kv.key = ? AND ` + tagIndexed + ` AND ` + w + `)`,
				append([]any{c.Key}, a...)
		}
		return kvExists("trace_tags", c.Key, c)
	case tracing.EntityMetadata:
		return kvExists("trace_request_metadata", c.Key, c)
	case tracing.EntitySpan:
		if rare {
			w, a := prefixEqual("sp."+c.Key, c)
			return `t.trace_key IN (SELECT sp.trace_key FROM spans sp WHERE ` + w + `)`, a
		}
		w, a := compare("sp."+c.Key, c)
		return `EXISTS (SELECT 1 FROM spans sp WHERE sp.trace_key = t.trace_key AND ` + w + `)`, a
	case tracing.EntitySpanAttribute:
		// Many matching traces (few were listed by spanAttributeTraces):
		// checked per trace through the primary key (trace_key, span_id,
		// key). The key is compared as an expression so that no planner
		// takes the (key, value) index instead, which would read every
		// trace's rows for each trace.
		// A scalar subquery rather than EXISTS: PostgreSQL turns an
		// EXISTS into a hash semi-join over every attribute row of the
		// table (0.5-5 s over 100k traces), where a subquery it cannot
		// pull up is run per trace while the newest page fills.
		w, a := compare("sa.value", c)
		return `(SELECT 1 FROM span_attributes sa WHERE sa.trace_key = t.trace_key AND (sa.key || '') = ? AND ` + w + ` LIMIT 1) IS NOT NULL`,
			append([]any{c.Key}, a...)
	case tracing.EntityFeedback, tracing.EntityExpectation:
		v := c.Value
		if b, err := json.Marshal(c.Value); err == nil && !isJSONLiteral(c.Value) {
			v = string(b)
		}
		return `EXISTS (SELECT 1 FROM assessments a WHERE a.trace_key = t.trace_key AND a.kind = ? AND a.name = ? AND a.value ` +
			c.Op + ` ?)`, []any{c.Entity, c.Key, v}
	}
	return "1 = 0", nil // unreachable: the parser admits nothing else
}

// isJSONLiteral reports whether an unquoted operand is a JSON number or
// literal (feedback.correct = true), compared as written.
func isJSONLiteral(v string) bool {
	var x any
	return json.Unmarshal([]byte(v), &x) == nil && !strings.HasPrefix(strings.TrimSpace(v), `"`)
}

// tagIndexed is the condition of migration 0013's partial tag value index,
// written as there: a query that states it may read the index (the key it
// compares is never the artifact location's, which rareValue leaves to
// the per-trace check).
const tagIndexed = `kv.key <> 'mlflow.artifactLocation'`

// rareLimit is the number of index rows under which an equality is rare.
const rareLimit = 2000

// rareValue reports whether c is an equality (= or IN) on a span name or
// type or a tag value, answered by migration 0006's indexes on the value's
// first 200 characters, that matches fewer than rareLimit rows in all: one
// index-only count that stops at the limit.
func (s *Store) rareValue(ctx context.Context, c tracing.Condition) (bool, error) {
	if c.Op != "=" && c.Op != "IN" {
		return false, nil
	}
	var q string
	var args []any
	switch {
	case c.Entity == tracing.EntitySpan && (c.Key == "name" || c.Key == "type"):
		w, a := prefixEqual("sp."+c.Key, c)
		q, args = `SELECT sp.trace_key FROM spans sp WHERE `+w, a
	case c.Entity == tracing.EntityTag && c.Key != tracing.TagArtifactLocation:
		w, a := prefixEqual("kv.value", c)
		q, args = `SELECT kv.trace_key FROM trace_tags kv WHERE kv.key = ? AND `+tagIndexed+` AND `+w, append([]any{c.Key}, a...)
	default:
		return false, nil
	}
	var n int
	err := s.queryRow(ctx, s.read, `SELECT COUNT(*) FROM (`+q+` LIMIT ?) r`, append(args, rareLimit)...).Scan(&n)
	return n < rareLimit, err
}

// spanAttributeTraces returns the trace_keys (migration 0012) of the
// traces with a span attribute matching c when they are fewer than
// rareLimit (few), read in one pass over the
// attribute's rows of migration 0007's (key, value prefix) index, whatever
// the comparator: a LIKE that matches little would otherwise be checked on
// every trace of the experiment, seconds over 100k traces.
//
// An equality compares the indexed prefix, then the value. Another
// comparator (LIKE, ILIKE, !=) is decided on the indexed prefix for a value
// shorter than the prefix's 200 characters, which is then the whole value,
// so that the scan reads the index alone; the values of 200 characters or
// more come from migration 0009's partial index and are compared whole.
func (s *Store) spanAttributeTraces(ctx context.Context, c tracing.Condition) (ids []any, few bool, err error) {
	q := `SELECT sa.trace_key FROM span_attributes sa WHERE sa.key = ? AND `
	if c.Op == "=" || c.Op == "IN" {
		// DISTINCT: PostgreSQL then reads the (key, value prefix) index
		// (0.5 ms for a value that matches nothing over 100k traces)
		// where, without it, LIMIT leads it to scan the table (270 ms).
		w, a := prefixEqual("sa.value", c)
		return s.traceIDs(ctx, nil, `SELECT DISTINCT`+strings.TrimPrefix(q, `SELECT`)+w, append([]any{c.Key}, a...))
	}
	short, a := compare(valuePrefix("sa.value"), c)
	ids, few, err = s.traceIDs(ctx, nil, q+`length(`+valuePrefix("sa.value")+`) < 200 AND `+short, append([]any{c.Key}, a...))
	if err != nil || !few {
		return ids, few, err
	}
	long, a := compare("sa.value", c)
	return s.traceIDs(ctx, ids, q+`length(sa.value) >= 200 AND `+long, append([]any{c.Key}, a...))
}

// traceIDs adds the trace keys that query q returns to ids, without
// repeating one. few says that q returned fewer than rareLimit rows: all
// its rows were read. (A LIKE's query has no DISTINCT, which would make
// SQLite read every matching row before the limit; a trace with the
// attribute on several spans then repeats, so many rows of few traces is
// not few, and the caller checks per trace, which is right whatever the
// count.)
func (s *Store) traceIDs(ctx context.Context, ids []any, q string, args []any) ([]any, bool, error) {
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		seen[id.(int64)] = true
	}
	rows, err := s.query(ctx, s.read, q+` LIMIT ?`, append(args, rareLimit)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, false, err
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return ids, n < rareLimit, nil
}

// valuePrefix is the indexed expression of migration 0006, written exactly
// as there so that SQLite and PostgreSQL match it to the index.
func valuePrefix(col string) string { return "substr(" + col + ", 1, 200)" }

// prefixEqual is col = v (or col IN (...)) with the indexed prefix compared
// first: the index finds the candidates, the full value decides.
func prefixEqual(col string, c tracing.Condition) (string, []any) {
	vals := c.Values
	if c.Op == "=" {
		vals = []string{c.Value}
	}
	var prefixes, full []string
	var args []any
	for range vals {
		prefixes = append(prefixes, valuePrefix("CAST(? AS TEXT)"))
	}
	for _, v := range vals {
		args = append(args, v)
	}
	for _, v := range vals {
		full = append(full, "?")
		args = append(args, v)
	}
	return valuePrefix(col) + " IN (" + strings.Join(prefixes, ", ") + ") AND " + col + " IN (" + strings.Join(full, ", ") + ")", args
}

func kvExists(table, key string, c tracing.Condition) (string, []any) {
	w, a := compare("kv.value", c)
	return `EXISTS (SELECT 1 FROM ` + table + ` kv WHERE kv.trace_key = t.trace_key AND kv.key = ? AND ` + w + `)`,
		append([]any{key}, a...)
}

func compare(col string, c tracing.Condition) (string, []any) {
	switch c.Op {
	case "IN", "NOT IN":
		a := make([]any, len(c.Values))
		for i, v := range c.Values {
			a[i] = v
		}
		return col + " " + c.Op + " (" + placeholders(len(a)) + ")", a
	case "ILIKE":
		return "LOWER(" + col + ") LIKE LOWER(?)", []any{c.Value}
	}
	return col + " " + c.Op + " ?", []any{c.Value}
}
