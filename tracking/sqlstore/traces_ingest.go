package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking"
)

// ingestChunk is the most rows one multi-row statement of LogSpans writes
// (9 columns × 100 rows stays far under either database's parameter limit).
const ingestChunk = 100

// LogSpans implements tracing.Store. A span's trace is created when it
// does not exist yet, in experimentID, from the spans: its start is the
// earliest span start, and a root span gives its duration and state.
// Spans of a trace mark it with mlflow.trace.spansLocation = TRACKING_STORE,
// which tells a client that reads it back to ask batchGet for them.
//
// The statements are as many for a thousand one-span traces as for one
// (the traces' rows are read and written a hundred at a time), so that a
// tracing.Batcher's gathered requests cost one short transaction; only a
// root span of an existing trace takes a statement of its own.
func (s *Store) LogSpans(ctx context.Context, experimentID string, spans []tracing.Span) error {
	if len(spans) == 0 {
		return nil
	}
	exp, err := parseExperimentID(experimentID)
	if err != nil {
		return err
	}
	// The last copy of a span sent twice wins, as it would one request
	// later (and PostgreSQL refuses one row upserted twice in a statement).
	type key struct{ trace, span string }
	at := map[key]int{}
	byTrace := map[string][]tracing.Span{}
	var order []string
	var uniq []tracing.Span
	for _, sp := range spans {
		k := key{sp.TraceID, sp.SpanID}
		if i, ok := at[k]; ok {
			uniq[i] = sp
			continue
		}
		at[k] = len(uniq)
		uniq = append(uniq, sp)
	}
	// Rows are written in (trace id, span id) order, so that two requests
	// writing the same traces at once (a client sending one trace's spans in
	// several requests) take their row locks in one order: PostgreSQL would
	// otherwise find them deadlocked and refuse one.
	slices.SortFunc(uniq, func(a, b tracing.Span) int {
		return cmp.Or(strings.Compare(a.TraceID, b.TraceID), strings.Compare(a.SpanID, b.SpanID))
	})
	for _, sp := range uniq {
		if _, ok := byTrace[sp.TraceID]; !ok {
			order = append(order, sp.TraceID)
		}
		byTrace[sp.TraceID] = append(byTrace[sp.TraceID], sp)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// The experiment's check (a missing one: NOT_FOUND) is made here,
		// once per transaction, rather than once per request.
		base, err := s.traceArtifactLocation(ctx, tx, exp, "")
		if err != nil {
			return err
		}
		stored, err := s.traceExperiments(ctx, tx, order)
		if err != nil {
			return err
		}
		keys := make(map[string]int64, len(order))
		// existing records the key of each of ids found in stored (and
		// brings its root span's fields up to date) and returns the others.
		existing := func(stored map[string]storedTrace, ids []string) (missing []string, err error) {
			for _, id := range ids {
				st, ok := stored[id]
				if !ok {
					missing = append(missing, id)
					continue
				}
				if st.exp != exp {
					return nil, tracking.InvalidParameter("Trace %s belongs to experiment %d, not %d.", id, st.exp, exp)
				}
				keys[id] = st.key
				if err := s.updateFromRoot(ctx, tx, st.key, byTrace[id]); err != nil {
					return nil, err
				}
			}
			return missing, nil
		}
		fresh, err := existing(stored, order)
		if err != nil {
			return err
		}
		// The new traces' artifact locations and every trace's spans
		// location go in one statement.
		tags, lost, err := s.insertTraces(ctx, tx, exp, base, fresh, byTrace, keys)
		if err != nil {
			return err
		}
		if len(lost) > 0 {
			// Another request created these traces since they were looked
			// up (a client sending one trace's spans in several requests at
			// once): they are existing ones now, read again.
			if stored, err = s.traceExperiments(ctx, tx, lost); err != nil {
				return err
			}
			missing, err := existing(stored, lost)
			if err != nil {
				return err
			}
			if len(missing) > 0 {
				return fmt.Errorf("traces %v neither inserted nor found", missing)
			}
		}
		const cols = 9
		for i := 0; i < len(uniq); i += ingestChunk {
			batch := uniq[i:min(i+ingestChunk, len(uniq))]
			args := make([]any, 0, len(batch)*cols)
			for _, sp := range batch {
				args = append(args, keys[sp.TraceID], sp.SpanID, nullString(sp.ParentSpanID), sp.Name, sp.Type, sp.Status,
					sp.StartNanos, sp.EndNanos, string(sp.Content))
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO spans (trace_key, span_id, parent_span_id, name, type, status,
				start_time_unix_nano, end_time_unix_nano, content) VALUES `+rowPlaceholders(len(batch), cols)+`
				ON CONFLICT (trace_key, span_id) DO UPDATE SET parent_span_id = excluded.parent_span_id, name = excluded.name,
				type = excluded.type, status = excluded.status, start_time_unix_nano = excluded.start_time_unix_nano,
				end_time_unix_nano = excluded.end_time_unix_nano, content = excluded.content`, args...); err != nil {
				return err
			}
		}
		if err := s.insertSpanAttributes(ctx, tx, uniq, keys); err != nil {
			return err
		}
		for _, id := range order {
			tags = append(tags, traceTag{keys[id], tracing.TagSpansLocation, tracing.SpansInTrackingStore})
		}
		return s.upsertTraceTags(ctx, tx, tags)
	})
}

// storedTrace is a stored trace's key and experiment.
type storedTrace struct{ key, exp int64 }

// traceTag is a tag of the trace whose trace_key is trace.
type traceTag struct {
	trace      int64
	key, value string
}

// traceExperiments is the key and experiment of each stored trace among ids.
func (s *Store) traceExperiments(ctx context.Context, q querier, ids []string) (map[string]storedTrace, error) {
	stored := map[string]storedTrace{}
	for i := 0; i < len(ids); i += ingestChunk {
		chunk := ids[i:min(i+ingestChunk, len(ids))]
		args := make([]any, len(chunk))
		for j, id := range chunk {
			args[j] = id
		}
		rows, err := s.query(ctx, q, `SELECT request_id, trace_key, experiment_id FROM trace_info WHERE request_id IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var st storedTrace
			if err := rows.Scan(&id, &st.key, &st.exp); err != nil {
				rows.Close()
				return nil, err
			}
			stored[id] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return stored, nil
}

// insertTraces creates the traces ids, new in experiment exp, from their
// spans, adds their trace_keys to keys, and returns their artifact location
// tags for the caller to write, and the ids another transaction inserted
// first (left as they are). base is the experiment's trace artifact
// location for trace "".
func (s *Store) insertTraces(ctx context.Context, tx *sql.Tx, exp int64, base string, ids []string, byTrace map[string][]tracing.Span, keys map[string]int64) (tags []traceTag, lost []string, err error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	base = strings.TrimSuffix(base, "/artifacts")
	const cols = 7
	for i := 0; i < len(ids); i += ingestChunk {
		chunk := ids[i:min(i+ingestChunk, len(ids))]
		args := make([]any, 0, len(chunk)*cols)
		for _, id := range chunk {
			spans := byTrace[id]
			start, end, state := spans[0].StartNanos, spans[0].EndNanos, tracing.StateInProgress
			var reqPreview, respPreview string
			for _, sp := range spans {
				start, end = min(start, sp.StartNanos), max(end, sp.EndNanos)
				if sp.ParentSpanID == "" {
					state = spanState(sp.Status)
					reqPreview, respPreview = tracing.RequestPreview(sp.Inputs), tracing.ResponsePreview(sp.Outputs)
				}
			}
			args = append(args, id, exp, start/1e6, max(end-start, 0)/1e6, state, reqPreview, respPreview)
		}
		values := strings.Repeat("(?, ?, ?, ?, ?, NULL, ?, ?), ", len(chunk))
		rows, err := s.query(ctx, tx, `INSERT INTO trace_info (`+traceInfoColumns+`) VALUES `+strings.TrimSuffix(values, ", ")+
			` ON CONFLICT (request_id) DO NOTHING RETURNING request_id, trace_key`, args...)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var id string
			var key int64
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return nil, nil, err
			}
			keys[id] = key
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	tags = make([]traceTag, 0, len(ids))
	for _, id := range ids {
		if _, ok := keys[id]; !ok {
			lost = append(lost, id)
			continue
		}
		tags = append(tags, traceTag{keys[id], tracing.TagArtifactLocation, base + id + "/artifacts"})
	}
	return tags, lost, nil
}

// updateFromRoot completes a stored trace from its root span. A trace made
// from its first spans is IN_PROGRESS until its root span arrives
// (exporters send children first); the root span then gives its start,
// duration, state and previews. A trace its client has ended (StartTraceV3)
// keeps what the client said.
func (s *Store) updateFromRoot(ctx context.Context, tx *sql.Tx, traceKey int64, spans []tracing.Span) error {
	for _, sp := range spans {
		if sp.ParentSpanID != "" {
			continue
		}
		if _, err := s.exec(ctx, tx, `UPDATE trace_info SET timestamp_ms = ?, execution_time_ms = ?, status = ?,
			request_preview = ?, response_preview = ? WHERE trace_key = ? AND status = ?`,
			sp.StartNanos/1e6, max(sp.EndNanos-sp.StartNanos, 0)/1e6, spanState(sp.Status),
			tracing.RequestPreview(sp.Inputs), tracing.ResponsePreview(sp.Outputs), traceKey, tracing.StateInProgress); err != nil {
			return err
		}
	}
	return nil
}

// maxAttributeKey is the longest span attribute key indexed for
// span.attributes filters (the column's size); a longer one stays in the
// span's content, unsearchable.
const maxAttributeKey = 250

// insertSpanAttributes indexes spans' attributes for span.attributes
// filters, a hundred rows per statement. A span sent again updates the
// values of its keys. Text PostgreSQL cannot store (NUL, invalid UTF-8) is
// replaced by U+FFFD, so an odd attribute never refuses its spans.
func (s *Store) insertSpanAttributes(ctx context.Context, tx *sql.Tx, spans []tracing.Span, keys map[string]int64) error {
	const cols = 4
	args := make([]any, 0, ingestChunk*cols)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := s.exec(ctx, tx, `INSERT INTO span_attributes (trace_key, span_id, key, value) VALUES `+
			rowPlaceholders(len(args)/cols, cols)+` ON CONFLICT (trace_key, span_id, key) DO UPDATE SET value = excluded.value`, args...)
		args = args[:0]
		return err
	}
	for _, sp := range spans {
		for _, a := range sp.Attributes {
			if a.Key == "" || len(a.Key) > maxAttributeKey {
				continue
			}
			args = append(args, keys[sp.TraceID], sp.SpanID, storableText(a.Key), storableText(a.Value))
			if len(args) == ingestChunk*cols {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// storableText is v with NUL bytes and invalid UTF-8 replaced by U+FFFD.
func storableText(v string) string {
	if utf8.ValidString(v) && !strings.ContainsRune(v, 0) {
		return v
	}
	return strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "\uFFFD")
}

// upsertTraceTags sets (trace, key, value) tags, a hundred per statement;
// each (trace, key) appears once. A tag that already holds its value is
// left as it is: each span request of a trace sets its spans location
// again, and an unchanged row costs no write (its index entries would
// otherwise be deleted and written again).
func (s *Store) upsertTraceTags(ctx context.Context, tx *sql.Tx, tags []traceTag) error {
	for i := 0; i < len(tags); i += ingestChunk {
		chunk := tags[i:min(i+ingestChunk, len(tags))]
		args := make([]any, 0, len(chunk)*3)
		for _, t := range chunk {
			args = append(args, t.trace, t.key, t.value)
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO trace_tags (trace_key, key, value) VALUES `+rowPlaceholders(len(chunk), 3)+`
			ON CONFLICT (trace_key, key) DO UPDATE SET value = excluded.value WHERE trace_tags.value <> excluded.value`, args...); err != nil {
			return err
		}
	}
	return nil
}
