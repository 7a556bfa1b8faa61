package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/berthml/berth/tracking"
)

// LogMetric implements tracking.RunStore.
func (s *Store) LogMetric(ctx context.Context, runID string, m tracking.Metric) error {
	m, err := tracking.ValidateMetric(m)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeRun(ctx, tx, runID); err != nil {
			return err
		}
		return s.insertMetric(ctx, tx, runID, m)
	})
}

// metricChunk is how many rows one multi-row INSERT carries (6 arguments
// each, well under SQLite's and PostgreSQL's parameter limits).
const metricChunk = 200

// storedMetric is a metric as stored: NaN becomes value 0 with is_nan 1.
type storedMetric struct {
	key             string
	value           float64
	timestamp, step int64
	isNaN           int
}

func toStored(m tracking.Metric) storedMetric {
	if math.IsNaN(m.Value) {
		return storedMetric{m.Key, 0, m.Timestamp, m.Step, 1}
	}
	return storedMetric{m.Key, m.Value, m.Timestamp, m.Step, 0}
}

// newer reports whether a should replace b as the latest value: greater
// step, then greater timestamp, then greater value (MLflow's rule).
func (a storedMetric) newer(b storedMetric) bool {
	if a.step != b.step {
		return a.step > b.step
	}
	if a.timestamp != b.timestamp {
		return a.timestamp > b.timestamp
	}
	return a.value > b.value
}

func (s *Store) insertMetric(ctx context.Context, tx *sql.Tx, runID string, m tracking.Metric) error {
	return s.insertMetrics(ctx, tx, runID, []tracking.Metric{m})
}

// insertMetrics stores metric values (an identical value logged twice is
// kept once) and updates each key's latest value, in multi-row statements.
func (s *Store) insertMetrics(ctx context.Context, tx *sql.Tx, runID string, ms []tracking.Metric) error {
	latest := map[string]storedMetric{}
	var keys []string
	for start := 0; start < len(ms); start += metricChunk {
		chunk := ms[start:min(start+metricChunk, len(ms))]
		args := make([]any, 0, 6*len(chunk))
		for _, m := range chunk {
			sm := toStored(m)
			args = append(args, runID, sm.key, sm.value, sm.timestamp, sm.step, sm.isNaN)
			if cur, ok := latest[sm.key]; !ok {
				keys = append(keys, sm.key)
				latest[sm.key] = sm
			} else if sm.newer(cur) {
				latest[sm.key] = sm
			}
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO metrics (run_uuid, key, value, timestamp, step, is_nan) VALUES `+
			rowPlaceholders(len(chunk), 6)+` ON CONFLICT DO NOTHING`, args...); err != nil {
			return fmt.Errorf("inserting metrics of run %s: %w", runID, err)
		}
	}
	for start := 0; start < len(keys); start += metricChunk {
		chunk := keys[start:min(start+metricChunk, len(keys))]
		args := make([]any, 0, 6*len(chunk))
		for _, k := range chunk {
			sm := latest[k]
			args = append(args, runID, sm.key, sm.value, sm.timestamp, sm.step, sm.isNaN)
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO latest_metrics (run_uuid, key, value, timestamp, step, is_nan)
			VALUES `+rowPlaceholders(len(chunk), 6)+`
			ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp,
				step = excluded.step, is_nan = excluded.is_nan
			WHERE excluded.step > latest_metrics.step
				OR (excluded.step = latest_metrics.step AND excluded.timestamp > latest_metrics.timestamp)
				OR (excluded.step = latest_metrics.step AND excluded.timestamp = latest_metrics.timestamp
					AND excluded.value > latest_metrics.value)`, args...); err != nil {
			return fmt.Errorf("updating latest metrics of run %s: %w", runID, err)
		}
	}
	return nil
}

// LogParam implements tracking.RunStore. Logging the same value again is a
// no-op; a different value is INVALID_PARAMETER_VALUE.
func (s *Store) LogParam(ctx context.Context, runID string, p tracking.Param) error {
	p, err := tracking.ValidateParam(p)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeRun(ctx, tx, runID); err != nil {
			return err
		}
		return s.insertParam(ctx, tx, runID, p)
	})
}

func (s *Store) insertParam(ctx context.Context, tx *sql.Tx, runID string, p tracking.Param) error {
	res, err := s.exec(ctx, tx, `INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?) ON CONFLICT (run_uuid, key) DO NOTHING`,
		runID, p.Key, p.Value)
	if err != nil {
		return fmt.Errorf("inserting param %q of run %s: %w", p.Key, runID, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	var old string
	if err := s.queryRow(ctx, tx, `SELECT value FROM params WHERE run_uuid = ? AND key = ?`, runID, p.Key).Scan(&old); err != nil {
		return fmt.Errorf("reading param %q of run %s: %w", p.Key, runID, err)
	}
	if old != p.Value {
		return tracking.ParamChangedError(runID, p.Key, old, p.Value)
	}
	return nil
}

// SetTag implements tracking.RunStore. Setting mlflow.runName renames the
// run.
func (s *Store) SetTag(ctx context.Context, runID string, t tracking.Tag) error {
	t, err := tracking.ValidateTag(t)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeRun(ctx, tx, runID); err != nil {
			return err
		}
		return s.upsertRunTag(ctx, tx, runID, t)
	})
}

// UpdateTag implements tracking.RunStore. The run's row is locked on
// PostgreSQL; SQLite's writers are serialised anyway.
func (s *Store) UpdateTag(ctx context.Context, runID, key string, update func(string, bool) (string, error)) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var stage string
		err := s.queryRow(ctx, tx, `SELECT lifecycle_stage FROM runs WHERE run_uuid = ?`+s.d.forUpdate, runID).Scan(&stage)
		if errors.Is(err, sql.ErrNoRows) {
			return tracking.NotFound("Run with id=%s not found", runID)
		}
		if err != nil {
			return fmt.Errorf("locking run %s: %w", runID, err)
		}
		if stage != string(tracking.LifecycleActive) {
			return tracking.InvalidParameter("The run %s must be in the 'active' state. Current state is %s.", runID, stage)
		}
		var old string
		err = s.queryRow(ctx, tx, `SELECT value FROM tags WHERE run_uuid = ? AND key = ?`, runID, key).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading tag %q of run %s: %w", key, runID, err)
		}
		value, err := update(old, err == nil)
		if err != nil {
			return err
		}
		t, err := tracking.ValidateTag(tracking.Tag{Key: key, Value: value})
		if err != nil {
			return err
		}
		return s.upsertRunTag(ctx, tx, runID, t)
	})
}

func (s *Store) upsertRunTag(ctx context.Context, tx *sql.Tx, runID string, t tracking.Tag) error {
	if _, err := s.exec(ctx, tx, `INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?)
		ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value`, runID, t.Key, t.Value); err != nil {
		return fmt.Errorf("setting tag %q of run %s: %w", t.Key, runID, err)
	}
	if t.Key == runNameTag {
		if err := tracking.ValidateRunName(t.Value); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE runs SET name = ? WHERE run_uuid = ?`, t.Value, runID); err != nil {
			return fmt.Errorf("renaming run %s: %w", runID, err)
		}
	}
	return nil
}

// DeleteTag implements tracking.RunStore.
func (s *Store) DeleteTag(ctx context.Context, runID, key string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeRun(ctx, tx, runID); err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, `DELETE FROM tags WHERE run_uuid = ? AND key = ?`, runID, key)
		if err != nil {
			return fmt.Errorf("deleting tag %q of run %s: %w", key, runID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tracking.NotFound("No tag with name: %s in run with id %s", key, runID)
		}
		return nil
	})
}

// validateAll returns xs with each element passed through validate, or the
// first error; xs itself is left as it was.
func validateAll[T any](xs []T, validate func(T) (T, error)) ([]T, error) {
	if xs == nil {
		return nil, nil
	}
	out := make([]T, len(xs))
	for i, x := range xs {
		v, err := validate(x)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// LogBatch implements tracking.RunStore.
func (s *Store) LogBatch(ctx context.Context, runID string, metrics []tracking.Metric, params []tracking.Param, tags []tracking.Tag) error {
	if err := tracking.ValidateBatchLimits(len(metrics), len(params), len(tags)); err != nil {
		return err
	}
	if err := tracking.ValidateParamKeysUnique(params); err != nil {
		return err
	}
	ms, err := validateAll(metrics, tracking.ValidateMetric)
	if err != nil {
		return err
	}
	ps, err := validateAll(params, tracking.ValidateParam)
	if err != nil {
		return err
	}
	ts, err := validateAll(tags, tracking.ValidateTag)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeRun(ctx, tx, runID); err != nil {
			return err
		}
		for _, p := range ps {
			if err := s.insertParam(ctx, tx, runID, p); err != nil {
				return err
			}
		}
		if err := s.insertMetrics(ctx, tx, runID, ms); err != nil {
			return err
		}
		for _, t := range ts {
			if err := s.upsertRunTag(ctx, tx, runID, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetMetricHistory implements tracking.RunStore.
func (s *Store) GetMetricHistory(ctx context.Context, runID, key string) ([]tracking.Metric, error) {
	if _, err := s.runStage(ctx, s.read, runID); err != nil {
		return nil, err
	}
	var out []tracking.Metric
	err := s.eachRow(ctx, s.read, `SELECT key, value, timestamp, step, is_nan FROM metrics
		WHERE run_uuid = ? AND key = ? ORDER BY step, timestamp, value`, []any{runID, key}, func(rows *sql.Rows) error {
		var m tracking.Metric
		var isNaN int
		if err := rows.Scan(&m.Key, &m.Value, &m.Timestamp, &m.Step, &isNaN); err != nil {
			return err
		}
		if isNaN != 0 {
			m.Value = math.NaN()
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading history of metric %q of run %s: %w", key, runID, err)
	}
	return out, nil
}
