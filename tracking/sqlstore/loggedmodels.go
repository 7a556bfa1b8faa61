package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/berthml/berth/tracking"
)

var _ tracking.LoggedModelStore = (*Store)(nil)

const loggedModelColumns = `model_id, experiment_id, name, artifact_location, creation_timestamp_ms,
	last_updated_timestamp_ms, status, status_message, model_type, source_run_id`

// newLoggedModelID is "m-" and a uuid4 as 32 hex digits, as MLflow makes.
func newLoggedModelID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return tracking.LoggedModelIDPrefix + hex.EncodeToString(b[:])
}

func loggedModelNotFound(id string) error {
	return tracking.NotFound("Logged model with ID '%s' not found.", id)
}

// CreateLoggedModel implements tracking.LoggedModelStore. The model starts
// PENDING, with artifacts under <experiment artifact location>/models/<id>/artifacts.
func (s *Store) CreateLoggedModel(ctx context.Context, m tracking.CreateLoggedModel) (*tracking.LoggedModel, error) {
	exp, err := s.GetExperiment(ctx, m.ExperimentID)
	if err != nil {
		return nil, err
	}
	if exp.LifecycleStage != tracking.LifecycleActive {
		return nil, tracking.InvalidParameter("The experiment %s must be in the 'active' state. Current state is %s.", exp.ID, exp.LifecycleStage)
	}
	if m.SourceRunID != "" {
		if _, err := s.runStage(ctx, s.read, m.SourceRunID); err != nil {
			return nil, err
		}
	}
	if m.Params, err = validateAll(m.Params, tracking.ValidateParam); err != nil {
		return nil, err
	}
	if err := tracking.ValidateParamKeysUnique(m.Params); err != nil {
		return nil, err
	}
	if m.Tags, err = validateAll(m.Tags, tracking.ValidateTag); err != nil {
		return nil, err
	}
	id := newLoggedModelID()
	loc := joinURI(joinURI(joinURI(exp.ArtifactLocation, "models"), id), "artifacts")
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		if _, err := s.exec(ctx, tx, `INSERT INTO logged_models (`+loggedModelColumns+`, lifecycle_stage)
			VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?)`,
			id, exp.ID, m.Name, loc, now, now, string(tracking.LoggedModelPending), m.ModelType, m.SourceRunID,
			tracking.LifecycleActive); err != nil {
			return fmt.Errorf("inserting logged model: %w", err)
		}
		for _, p := range m.Params {
			if _, err := s.exec(ctx, tx, `INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?)`, id, p.Key, p.Value); err != nil {
				return err
			}
		}
		for _, t := range m.Tags {
			if err := s.upsertLoggedModelTag(ctx, tx, id, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetLoggedModel(ctx, id)
}

func (s *Store) upsertLoggedModelTag(ctx context.Context, q querier, id string, t tracking.Tag) error {
	_, err := s.exec(ctx, q, `INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?)
		ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value`, id, t.Key, t.Value)
	return err
}

// GetLoggedModel implements tracking.LoggedModelStore.
func (s *Store) GetLoggedModel(ctx context.Context, id string) (*tracking.LoggedModel, error) {
	ms, err := s.loadLoggedModels(ctx, s.read, []string{id})
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, loggedModelNotFound(id)
	}
	return &ms[0], nil
}

// activeLoggedModel checks that an active model exists.
func (s *Store) activeLoggedModel(ctx context.Context, q querier, id string) error {
	var one int
	err := s.queryRow(ctx, q, `SELECT 1 FROM logged_models WHERE model_id = ? AND lifecycle_stage = ?`, id, tracking.LifecycleActive).Scan(&one)
	if noRows(err) {
		return loggedModelNotFound(id)
	}
	return err
}

// loadLoggedModels reads active models with their tags, params and
// metrics, in the order of ids.
func (s *Store) loadLoggedModels(ctx context.Context, q querier, ids []string) ([]tracking.LoggedModel, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(ids)+1)
	for _, id := range ids {
		args = append(args, id)
	}
	in := placeholders(len(ids))
	byID := map[string]*tracking.LoggedModel{}
	var found []*tracking.LoggedModel
	err := s.eachRow(ctx, q, `SELECT `+loggedModelColumns+` FROM logged_models WHERE model_id IN (`+in+`) AND lifecycle_stage = ?`,
		append(args, tracking.LifecycleActive), func(rows *sql.Rows) error {
			m := &tracking.LoggedModel{}
			var status string
			var expID int64
			if err := rows.Scan(&m.ModelID, &expID, &m.Name, &m.ArtifactURI, &m.CreationTimestampMS,
				&m.LastUpdatedTimestampMS, &status, &m.StatusMessage, &m.ModelType, &m.SourceRunID); err != nil {
				return err
			}
			m.ExperimentID = fmt.Sprint(expID)
			m.Status = tracking.LoggedModelStatus(status)
			byID[m.ModelID] = m
			found = append(found, m)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading logged models: %w", err)
	}
	if len(found) == 0 {
		return nil, nil
	}
	args = args[:len(ids)]
	err = s.eachRow(ctx, q, `SELECT model_id, key, value FROM logged_model_tags WHERE model_id IN (`+in+`) ORDER BY model_id, key`, args, func(rows *sql.Rows) error {
		var id string
		var t tracking.Tag
		if err := rows.Scan(&id, &t.Key, &t.Value); err != nil {
			return err
		}
		if m := byID[id]; m != nil {
			m.Tags = append(m.Tags, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading logged model tags: %w", err)
	}
	err = s.eachRow(ctx, q, `SELECT model_id, key, value FROM logged_model_params WHERE model_id IN (`+in+`) ORDER BY model_id, key`, args, func(rows *sql.Rows) error {
		var id string
		var p tracking.Param
		if err := rows.Scan(&id, &p.Key, &p.Value); err != nil {
			return err
		}
		if m := byID[id]; m != nil {
			m.Params = append(m.Params, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading logged model params: %w", err)
	}
	err = s.eachRow(ctx, q, `SELECT model_id, key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest
		FROM logged_model_metrics WHERE model_id IN (`+in+`) ORDER BY seq`, args, func(rows *sql.Rows) error {
		var mm tracking.ModelMetric
		var isNaN int
		if err := rows.Scan(&mm.ModelID, &mm.Key, &mm.Value, &isNaN, &mm.Timestamp, &mm.Step, &mm.RunID, &mm.DatasetName, &mm.DatasetDigest); err != nil {
			return err
		}
		if isNaN != 0 {
			mm.Value = math.NaN()
		}
		if m := byID[mm.ModelID]; m != nil {
			m.Metrics = append(m.Metrics, mm)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading logged model metrics: %w", err)
	}
	out := make([]tracking.LoggedModel, 0, len(found))
	for _, id := range ids {
		if m := byID[id]; m != nil {
			out = append(out, *m)
		}
	}
	return out, nil
}

// FinalizeLoggedModel implements tracking.LoggedModelStore.
func (s *Store) FinalizeLoggedModel(ctx context.Context, id string, status tracking.LoggedModelStatus) (*tracking.LoggedModel, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeLoggedModel(ctx, tx, id); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_id = ?`, string(status), s.now(), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetLoggedModel(ctx, id)
}

// DeleteLoggedModel implements tracking.LoggedModelStore: the model is
// marked deleted and is then not found, as in MLflow.
func (s *Store) DeleteLoggedModel(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeLoggedModel(ctx, tx, id); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `UPDATE logged_models SET lifecycle_stage = ?, last_updated_timestamp_ms = ? WHERE model_id = ?`,
			tracking.LifecycleDeleted, s.now(), id)
		return err
	})
}

// SetLoggedModelTags implements tracking.LoggedModelStore.
func (s *Store) SetLoggedModelTags(ctx context.Context, id string, tags []tracking.Tag) error {
	ts, err := validateAll(tags, tracking.ValidateTag)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeLoggedModel(ctx, tx, id); err != nil {
			return err
		}
		for _, t := range ts {
			if err := s.upsertLoggedModelTag(ctx, tx, id, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpdateLoggedModelTag implements tracking.LoggedModelStore.
func (s *Store) UpdateLoggedModelTag(ctx context.Context, id, key string, update func(string, bool) (string, error)) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := s.queryRow(ctx, tx, `SELECT 1 FROM logged_models WHERE model_id = ? AND lifecycle_stage = ?`+s.d.forUpdate, id, tracking.LifecycleActive).Scan(&one)
		if noRows(err) {
			return loggedModelNotFound(id)
		}
		if err != nil {
			return err
		}
		var old string
		err = s.queryRow(ctx, tx, `SELECT value FROM logged_model_tags WHERE model_id = ? AND key = ?`, id, key).Scan(&old)
		if err != nil && !noRows(err) {
			return err
		}
		v, err := update(old, err == nil)
		if err != nil {
			return err
		}
		t, err := tracking.ValidateTag(tracking.Tag{Key: key, Value: v})
		if err != nil {
			return err
		}
		return s.upsertLoggedModelTag(ctx, tx, id, t)
	})
}

// DeleteLoggedModelTag implements tracking.LoggedModelStore.
func (s *Store) DeleteLoggedModelTag(ctx context.Context, id, key string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeLoggedModel(ctx, tx, id); err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, `DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?`, id, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tracking.NotFound("No tag with key '%s' found for logged model with ID '%s'.", key, id)
		}
		return nil
	})
}

// LogLoggedModelParams implements tracking.LoggedModelStore. A key the
// model already has is BAD_REQUEST, as MLflow's unique constraint gives.
func (s *Store) LogLoggedModelParams(ctx context.Context, id string, params []tracking.Param) error {
	ps, err := validateAll(params, tracking.ValidateParam)
	if err != nil {
		return err
	}
	if err := tracking.ValidateParamKeysUnique(ps); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeLoggedModel(ctx, tx, id); err != nil {
			return err
		}
		for _, p := range ps {
			var old string
			err := s.queryRow(ctx, tx, `SELECT value FROM logged_model_params WHERE model_id = ? AND key = ?`, id, p.Key).Scan(&old)
			if err == nil {
				return &tracking.Error{Code: tracking.CodeBadRequest,
					Message: fmt.Sprintf("Logged model %s already has param '%s' (value '%s'); params cannot change.", id, p.Key, old)}
			}
			if !noRows(err) {
				return err
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?)`, id, p.Key, p.Value); err != nil {
				return err
			}
		}
		return nil
	})
}

// LogModelMetrics implements tracking.LoggedModelStore.
func (s *Store) LogModelMetrics(ctx context.Context, ms []tracking.ModelMetric) error {
	if len(ms) == 0 {
		return nil
	}
	for i := range ms {
		m, err := tracking.ValidateMetric(ms[i].Metric)
		if err != nil {
			return err
		}
		ms[i].Metric = m
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		checked := map[string]bool{}
		for _, m := range ms {
			if !checked[m.ModelID] {
				if err := s.activeLoggedModel(ctx, tx, m.ModelID); err != nil {
					return err
				}
				checked[m.ModelID] = true
			}
			sm := toStored(m.Metric)
			if _, err := s.exec(ctx, tx, `INSERT INTO logged_model_metrics (model_id, key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				m.ModelID, sm.key, sm.value, sm.isNaN, sm.timestamp, sm.step, m.RunID, m.DatasetName, m.DatasetDigest); err != nil {
				return fmt.Errorf("logging metric %q of logged model %s: %w", m.Key, m.ModelID, err)
			}
		}
		return nil
	})
}

// LogRunModels implements tracking.LoggedModelStore.
func (s *Store) LogRunModels(ctx context.Context, runID string, inputs []string, outputs []tracking.RunModelOutput) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeRun(ctx, tx, runID); err != nil {
			return err
		}
		add := func(id, dir string, step int64) error {
			if err := s.activeLoggedModel(ctx, tx, id); err != nil {
				return err
			}
			_, err := s.exec(ctx, tx, `INSERT INTO run_models (run_uuid, model_id, direction, step) VALUES (?, ?, ?, ?)
				ON CONFLICT DO NOTHING`, runID, id, dir, step)
			return err
		}
		for _, id := range inputs {
			if err := add(id, "input", 0); err != nil {
				return err
			}
		}
		for _, o := range outputs {
			if err := add(o.ModelID, "output", o.Step); err != nil {
				return err
			}
		}
		return nil
	})
}

// runModelsChunk is how many run ids one query of GetRunModels names.
const runModelsChunk = 500

// GetRunModels implements tracking.LoggedModelStore: one query per 500
// runs, so that a page of runs/search costs a query, not one per run.
func (s *Store) GetRunModels(ctx context.Context, runIDs []string) (map[string]*tracking.RunModels, error) {
	out := map[string]*tracking.RunModels{}
	for start := 0; start < len(runIDs); start += runModelsChunk {
		chunk := runIDs[start:min(start+runModelsChunk, len(runIDs))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		err := s.eachRow(ctx, s.read, `SELECT run_uuid, model_id, direction, step FROM run_models WHERE run_uuid IN (`+
			placeholders(len(chunk))+`) ORDER BY seq`, args, func(rows *sql.Rows) error {
			var run, id, dir string
			var step int64
			if err := rows.Scan(&run, &id, &dir, &step); err != nil {
				return err
			}
			rm := out[run]
			if rm == nil {
				rm = &tracking.RunModels{}
				out[run] = rm
			}
			if dir == "input" {
				rm.Inputs = append(rm.Inputs, id)
			} else {
				rm.Outputs = append(rm.Outputs, tracking.RunModelOutput{ModelID: id, Step: step})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading the logged models of runs: %w", err)
		}
	}
	return out, nil
}
