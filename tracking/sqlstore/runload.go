package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"

	"github.com/berthml/berth/tracking"
)

// loadRunInfos reads run infos matching a WHERE/ORDER/LIMIT clause.
func (s *Store) loadRunInfos(ctx context.Context, q querier, clause string, args ...any) ([]tracking.RunInfo, error) {
	rows, err := s.query(ctx, q, `SELECT `+runColumns+` FROM runs `+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("querying runs: %w", err)
	}
	defer rows.Close()
	var infos []tracking.RunInfo
	for rows.Next() {
		var ri tracking.RunInfo
		var exp int64
		var status string
		var end sql.NullInt64
		if err := rows.Scan(&ri.RunID, &exp, &ri.RunName, &ri.UserID, &status, &ri.StartTime, &end, &ri.ArtifactURI, &ri.LifecycleStage); err != nil {
			return nil, fmt.Errorf("reading run: %w", err)
		}
		ri.ExperimentID = strconv.FormatInt(exp, 10)
		ri.Status = tracking.RunStatus(status)
		if end.Valid {
			ri.EndTime = &end.Int64
		}
		infos = append(infos, ri)
	}
	return infos, rows.Err()
}

// loadRuns reads runs with their latest metrics, params, tags and inputs.
func (s *Store) loadRuns(ctx context.Context, q querier, clause string, args ...any) ([]tracking.Run, error) {
	infos, err := s.loadRunInfos(ctx, q, clause, args...)
	if err != nil || len(infos) == 0 {
		return nil, err
	}
	runs := make([]tracking.Run, len(infos))
	index := make(map[string]int, len(infos))
	ids := make([]any, len(infos))
	for i, ri := range infos {
		runs[i].Info = ri
		index[ri.RunID] = i
		ids[i] = ri.RunID
	}
	in := ` WHERE run_uuid IN (` + placeholders(len(ids)) + `) ORDER BY seq`
	if err := s.eachRow(ctx, q, `SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics`+in, ids, func(rows *sql.Rows) error {
		var id string
		var m tracking.Metric
		var isNaN int
		if err := rows.Scan(&id, &m.Key, &m.Value, &m.Timestamp, &m.Step, &isNaN); err != nil {
			return err
		}
		if isNaN != 0 {
			m.Value = math.NaN()
		}
		r := &runs[index[id]]
		r.Data.Metrics = append(r.Data.Metrics, m)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("reading latest metrics: %w", err)
	}
	if err := s.eachRow(ctx, q, `SELECT run_uuid, key, value FROM params`+in, ids, func(rows *sql.Rows) error {
		var id string
		var p tracking.Param
		if err := rows.Scan(&id, &p.Key, &p.Value); err != nil {
			return err
		}
		r := &runs[index[id]]
		r.Data.Params = append(r.Data.Params, p)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("reading params: %w", err)
	}
	if err := s.eachRow(ctx, q, `SELECT run_uuid, key, value FROM tags`+in, ids, func(rows *sql.Rows) error {
		var id string
		var t tracking.Tag
		if err := rows.Scan(&id, &t.Key, &t.Value); err != nil {
			return err
		}
		r := &runs[index[id]]
		r.Data.Tags = append(r.Data.Tags, t)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("reading tags: %w", err)
	}
	if err := s.loadInputs(ctx, q, runs, index, ids); err != nil {
		return nil, err
	}
	return runs, nil
}

func (s *Store) loadInputs(ctx context.Context, q querier, runs []tracking.Run, index map[string]int, ids []any) error {
	type ref struct{ run, input int }
	inputs := map[int64]ref{}
	if err := s.eachRow(ctx, q, `SELECT i.seq, i.run_uuid, d.name, d.digest, d.source_type, d.source, d.schema_json, d.profile
		FROM inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid
		WHERE i.run_uuid IN (`+placeholders(len(ids))+`) ORDER BY i.seq`, ids, func(rows *sql.Rows) error {
		var seq int64
		var id string
		var d tracking.Dataset
		if err := rows.Scan(&seq, &id, &d.Name, &d.Digest, &d.SourceType, &d.Source, &d.Schema, &d.Profile); err != nil {
			return err
		}
		r := &runs[index[id]]
		inputs[seq] = ref{index[id], len(r.Inputs)}
		r.Inputs = append(r.Inputs, tracking.DatasetInput{Dataset: d})
		return nil
	}); err != nil {
		return fmt.Errorf("reading dataset inputs: %w", err)
	}
	if len(inputs) == 0 {
		return nil
	}
	seqs := make([]any, 0, len(inputs))
	for seq := range inputs {
		seqs = append(seqs, seq)
	}
	return s.eachRow(ctx, q, `SELECT input_seq, key, value FROM input_tags WHERE input_seq IN (`+placeholders(len(seqs))+`) ORDER BY seq`, seqs,
		func(rows *sql.Rows) error {
			var seq int64
			var t tracking.Tag
			if err := rows.Scan(&seq, &t.Key, &t.Value); err != nil {
				return err
			}
			at := inputs[seq]
			in := &runs[at.run].Inputs[at.input]
			in.Tags = append(in.Tags, t)
			return nil
		})
}

// eachRow runs a query and calls fn for every row.
func (s *Store) eachRow(ctx context.Context, q querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := s.query(ctx, q, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
