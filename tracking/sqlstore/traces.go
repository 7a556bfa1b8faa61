package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking"
)

var _ tracing.Store = (*Store)(nil)

const traceInfoColumns = `request_id, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id, request_preview, response_preview`

// traceNotFound is MLflow's answer for an unknown trace id.
func traceNotFound(id string) error { return tracking.NotFound("Trace with ID '%s' not found.", id) }

// traceArtifactLocation is where a client that keeps spans as an artifact
// uploads traces.json: <experiment artifact location>/traces/<id>/artifacts.
func (s *Store) traceArtifactLocation(ctx context.Context, q querier, expID int64, traceID string) (string, error) {
	var loc string
	if err := s.queryRow(ctx, q, `SELECT artifact_location FROM experiments WHERE experiment_id = ?`, expID).Scan(&loc); err != nil {
		if noRows(err) {
			return "", tracking.NotFound("No Experiment with id=%d exists", expID)
		}
		return "", err
	}
	return strings.TrimRight(loc, "/") + "/traces/" + traceID + "/artifacts", nil
}

// StartTrace implements tracing.Store.
func (s *Store) StartTrace(ctx context.Context, info tracing.TraceInfo) (tracing.TraceInfo, error) {
	exp, err := parseExperimentID(info.ExperimentID)
	if err != nil {
		return tracing.TraceInfo{}, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		loc, err := s.traceArtifactLocation(ctx, tx, exp, info.TraceID)
		if err != nil {
			return err
		}
		var key int64
		if err := s.queryRow(ctx, tx, `INSERT INTO trace_info (`+traceInfoColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (request_id) DO UPDATE SET experiment_id = excluded.experiment_id, timestamp_ms = excluded.timestamp_ms,
			execution_time_ms = excluded.execution_time_ms, status = excluded.status, client_request_id = excluded.client_request_id,
			request_preview = excluded.request_preview, response_preview = excluded.response_preview RETURNING trace_key`,
			info.TraceID, exp, info.RequestTime, info.Duration, info.State, nullString(info.ClientRequestID),
			info.RequestPreview, info.ResponsePreview).Scan(&key); err != nil {
			return err
		}
		tags := map[string]string{tracing.TagArtifactLocation: loc}
		for k, v := range info.Tags {
			tags[k] = v
		}
		if err := s.upsertTraceKV(ctx, tx, "trace_tags", key, tags); err != nil {
			return err
		}
		return s.upsertTraceKV(ctx, tx, "trace_request_metadata", key, info.Metadata)
	})
	if err != nil {
		return tracing.TraceInfo{}, err
	}
	return s.GetTraceInfo(ctx, info.TraceID)
}

func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// upsertTraceKV sets keys of the tags or metadata of the trace whose
// trace_key is traceKey (table is one of this package's constants, never
// client input).
func (s *Store) upsertTraceKV(ctx context.Context, q querier, table string, traceKey int64, kv map[string]string) error {
	for k, v := range kv {
		if _, err := s.exec(ctx, q, `INSERT INTO `+table+` (trace_key, key, value) VALUES (?, ?, ?)
			ON CONFLICT (trace_key, key) DO UPDATE SET value = excluded.value`, traceKey, k, v); err != nil {
			return err
		}
	}
	return nil
}

// GetTraceInfo implements tracing.Store.
func (s *Store) GetTraceInfo(ctx context.Context, traceID string) (tracing.TraceInfo, error) {
	infos, err := s.loadTraceInfos(ctx, s.read, []string{traceID})
	if err != nil {
		return tracing.TraceInfo{}, err
	}
	if len(infos) == 0 {
		return tracing.TraceInfo{}, traceNotFound(traceID)
	}
	return infos[0], nil
}

// loadTraceInfos loads the traces among ids, in ids' order, with their
// tags, metadata and assessments.
func (s *Store) loadTraceInfos(ctx context.Context, q querier, ids []string) ([]tracing.TraceInfo, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := `(` + placeholders(len(ids)) + `)`
	rows, err := s.query(ctx, q, `SELECT trace_key, `+traceInfoColumns+` FROM trace_info WHERE request_id IN `+in, args...)
	if err != nil {
		return nil, err
	}
	byID := map[string]*tracing.TraceInfo{}
	byKey := map[int64]*tracing.TraceInfo{}
	var keys []any
	for rows.Next() {
		var t tracing.TraceInfo
		var key, exp int64
		var client, req, resp sql.NullString
		if err := rows.Scan(&key, &t.TraceID, &exp, &t.RequestTime, &t.Duration, &t.State, &client, &req, &resp); err != nil {
			rows.Close()
			return nil, err
		}
		t.ExperimentID = strconv.FormatInt(exp, 10)
		t.ClientRequestID, t.RequestPreview, t.ResponsePreview = client.String, req.String, resp.String
		t.Tags, t.Metadata = map[string]string{}, map[string]string{}
		byID[t.TraceID] = &t
		byKey[key] = &t
		keys = append(keys, key)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, nil
	}
	in = `(` + placeholders(len(keys)) + `)`
	for table, pick := range map[string]func(*tracing.TraceInfo) map[string]string{
		"trace_tags":             func(t *tracing.TraceInfo) map[string]string { return t.Tags },
		"trace_request_metadata": func(t *tracing.TraceInfo) map[string]string { return t.Metadata },
	} {
		rows, err := s.query(ctx, q, `SELECT trace_key, key, value FROM `+table+` WHERE trace_key IN `+in, keys...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var key int64
			var k, v string
			if err := rows.Scan(&key, &k, &v); err != nil {
				rows.Close()
				return nil, err
			}
			if t := byKey[key]; t != nil {
				pick(t)[k] = v
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	rows, err = s.query(ctx, q, `SELECT `+assessmentColumns+` FROM assessments a JOIN trace_info t ON t.trace_key = a.trace_key
		WHERE a.trace_key IN `+in+` ORDER BY a.create_time, a.assessment_id`, keys...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		a, err := scanAssessment(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if t := byID[a.TraceID]; t != nil {
			t.Assessments = append(t.Assessments, a)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]tracing.TraceInfo, 0, len(byID))
	seen := map[string]bool{}
	for _, id := range ids {
		if t := byID[id]; t != nil && !seen[id] {
			seen[id] = true
			out = append(out, *t)
		}
	}
	return out, nil
}

// GetTraces implements tracing.Store.
func (s *Store) GetTraces(ctx context.Context, ids []string) ([]tracing.TraceInfo, map[string][]tracing.Span, error) {
	infos, err := s.loadTraceInfos(ctx, s.read, ids)
	if err != nil || len(infos) == 0 {
		return nil, nil, err
	}
	args := make([]any, len(infos))
	for i, t := range infos {
		args[i] = t.TraceID
	}
	rows, err := s.query(ctx, s.read, `SELECT t.request_id, sp.span_id, sp.parent_span_id, sp.name, sp.type, sp.status,
		sp.start_time_unix_nano, sp.end_time_unix_nano, sp.content FROM trace_info t JOIN spans sp ON sp.trace_key = t.trace_key
		WHERE t.request_id IN (`+placeholders(len(args))+`) ORDER BY sp.start_time_unix_nano, sp.span_id`, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	spans := map[string][]tracing.Span{}
	for rows.Next() {
		var sp tracing.Span
		var parent sql.NullString
		var content string
		if err := rows.Scan(&sp.TraceID, &sp.SpanID, &parent, &sp.Name, &sp.Type, &sp.Status, &sp.StartNanos, &sp.EndNanos, &content); err != nil {
			return nil, nil, err
		}
		sp.ParentSpanID, sp.Content = parent.String, []byte(content)
		spans[sp.TraceID] = append(spans[sp.TraceID], sp)
	}
	return infos, spans, rows.Err()
}

// spanState is the trace state a root span's status implies.
func spanState(status string) string {
	switch status {
	case "STATUS_CODE_ERROR":
		return tracing.StateError
	case "STATUS_CODE_OK":
		return tracing.StateOK
	}
	return tracing.StateUnspecified
}

// SetTraceTag implements tracing.Store.
func (s *Store) SetTraceTag(ctx context.Context, traceID, key, value string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		tk, err := s.traceKey(ctx, tx, traceID)
		if err != nil {
			return err
		}
		return s.upsertTraceKV(ctx, tx, "trace_tags", tk, map[string]string{key: value})
	})
}

// DeleteTraceTag implements tracing.Store.
func (s *Store) DeleteTraceTag(ctx context.Context, traceID, key string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		tk, err := s.traceKey(ctx, tx, traceID)
		if err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, `DELETE FROM trace_tags WHERE trace_key = ? AND key = ?`, tk, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tracking.NotFound("No trace tag with key '%s' for trace with ID '%s'", key, traceID)
		}
		return nil
	})
}

// traceKey is the trace_key of the trace traceID (migration 0012), or
// MLflow's NOT_FOUND.
func (s *Store) traceKey(ctx context.Context, q querier, traceID string) (int64, error) {
	var key int64
	err := s.queryRow(ctx, q, `SELECT trace_key FROM trace_info WHERE request_id = ?`, traceID).Scan(&key)
	if noRows(err) {
		return 0, traceNotFound(traceID)
	}
	return key, err
}

func (s *Store) traceExists(ctx context.Context, q querier, traceID string) error {
	_, err := s.traceKey(ctx, q, traceID)
	return err
}

// DeleteTraces implements tracing.Store.
func (s *Store) DeleteTraces(ctx context.Context, experimentID string, ids []string, olderThanMs int64, maxTraces int) (int, error) {
	exp, err := parseExperimentID(experimentID)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		if len(ids) > 0 {
			args := []any{exp}
			for _, id := range ids {
				args = append(args, id)
			}
			res, err = s.exec(ctx, tx, `DELETE FROM trace_info WHERE experiment_id = ? AND request_id IN (`+placeholders(len(ids))+`)`, args...)
		} else {
			limit := ""
			if maxTraces > 0 {
				limit = " LIMIT " + strconv.Itoa(maxTraces)
			}
			res, err = s.exec(ctx, tx, `DELETE FROM trace_info WHERE trace_key IN (SELECT trace_key FROM trace_info
				WHERE experiment_id = ? AND timestamp_ms < ? ORDER BY timestamp_ms`+limit+`)`, exp, olderThanMs)
		}
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// PurgeTracesBefore implements tracing.Store: retention. It deletes in
// batches so that a large purge never holds the write lock for long.
func (s *Store) PurgeTracesBefore(ctx context.Context, cutoffMs int64) (int, error) {
	total := 0
	for {
		var n int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			res, err := s.exec(ctx, tx, `DELETE FROM trace_info WHERE trace_key IN (SELECT trace_key FROM trace_info
				WHERE timestamp_ms < ? ORDER BY timestamp_ms LIMIT 1000)`, cutoffMs)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		total += int(n)
		if err != nil || n < 1000 {
			return total, err
		}
	}
}

// LinkTracesToRun implements tracing.Store.
func (s *Store) LinkTracesToRun(ctx context.Context, traceIDs []string, runID string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range traceIDs {
			tk, err := s.traceKey(ctx, tx, id)
			if err != nil {
				return err
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO trace_request_metadata (trace_key, key, value) VALUES (?, ?, ?)
				ON CONFLICT (trace_key, key) DO NOTHING`, tk, tracing.MetaSourceRun, runID); err != nil {
				return err
			}
		}
		return nil
	})
}
