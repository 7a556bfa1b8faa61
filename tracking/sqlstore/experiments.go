package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/berthml/berth/tracking"
)

const experimentColumns = `experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time`

// parseExperimentID reads an experiment id; anything but an integer names no
// experiment.
func parseExperimentID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return 0, tracking.NotFound("No Experiment with id=%s exists", id)
	}
	return n, nil
}

// CreateExperiment implements tracking.ExperimentStore.
func (s *Store) CreateExperiment(ctx context.Context, name, artifactLocation string, tags []tracking.Tag) (string, error) {
	if err := tracking.ValidateExperimentName(name); err != nil {
		return "", err
	}
	if err := tracking.ValidateExperimentArtifactLocation(artifactLocation); err != nil {
		return "", err
	}
	for _, t := range tags {
		if err := tracking.ValidateExperimentTag(t); err != nil {
			return "", err
		}
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		err := s.queryRow(ctx, tx, `INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
			VALUES (?, ?, ?, ?, ?) RETURNING experiment_id`, name, artifactLocation, tracking.LifecycleActive, now, now).Scan(&id)
		if s.d.isUniqueViolation(err) {
			return tracking.AlreadyExists("Experiment(name=%s) already exists.", name)
		}
		if err != nil {
			return fmt.Errorf("inserting experiment %q: %w", name, err)
		}
		if artifactLocation == "" {
			loc := joinURI(s.artifactRoot, strconv.FormatInt(id, 10))
			if _, err := s.exec(ctx, tx, `UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?`, loc, id); err != nil {
				return fmt.Errorf("setting artifact location of experiment %d: %w", id, err)
			}
		}
		for _, t := range tags {
			if err := s.upsertExperimentTag(ctx, tx, id, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(id, 10), nil
}

func (s *Store) upsertExperimentTag(ctx context.Context, q querier, id int64, t tracking.Tag) error {
	_, err := s.exec(ctx, q, `INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)
		ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value`, id, t.Key, t.Value)
	if err != nil {
		return fmt.Errorf("setting tag %q on experiment %d: %w", t.Key, id, err)
	}
	return nil
}

// GetExperiment implements tracking.ExperimentStore.
func (s *Store) GetExperiment(ctx context.Context, id string) (*tracking.Experiment, error) {
	n, err := parseExperimentID(id)
	if err != nil {
		return nil, err
	}
	exps, err := s.loadExperiments(ctx, s.read, `WHERE experiment_id = ?`, n)
	if err != nil {
		return nil, err
	}
	if len(exps) == 0 {
		return nil, tracking.NotFound("No Experiment with id=%s exists", id)
	}
	return &exps[0], nil
}

// CheckExperiment returns nil when the experiment id exists (active or
// deleted, as GetExperiment finds it), else GetExperiment's error. It is
// GetExperiment without loading the experiment, through a statement kept
// prepared: OTLP ingest calls it on every request.
func (s *Store) CheckExperiment(ctx context.Context, id string) error {
	n, err := parseExperimentID(id)
	if err != nil {
		return err
	}
	st, err := s.expExists.stmt(ctx, s.read)
	if err != nil {
		return fmt.Errorf("preparing the experiment check: %w", err)
	}
	var one int
	if err := st.QueryRowContext(ctx, n).Scan(&one); err != nil {
		if noRows(err) {
			return tracking.NotFound("No Experiment with id=%s exists", id)
		}
		return clientError(err)
	}
	return nil
}

// GetExperimentByName implements tracking.ExperimentStore.
func (s *Store) GetExperimentByName(ctx context.Context, name string) (*tracking.Experiment, error) {
	exps, err := s.loadExperiments(ctx, s.read, `WHERE name = ?`, name)
	if err != nil {
		return nil, err
	}
	if len(exps) == 0 {
		return nil, tracking.NotFound("Could not find experiment with name '%s'", name)
	}
	return &exps[0], nil
}

// loadExperiments reads experiments matching a WHERE ... [ORDER BY ... LIMIT]
// clause, with their tags.
func (s *Store) loadExperiments(ctx context.Context, q querier, clause string, args ...any) ([]tracking.Experiment, error) {
	rows, err := s.query(ctx, q, `SELECT `+experimentColumns+` FROM experiments `+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("querying experiments: %w", err)
	}
	var exps []tracking.Experiment
	index := map[int64]int{}
	var ids []any
	for rows.Next() {
		var e tracking.Experiment
		var id int64
		if err := rows.Scan(&id, &e.Name, &e.ArtifactLocation, &e.LifecycleStage, &e.CreationTime, &e.LastUpdateTime); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading experiment: %w", err)
		}
		e.ID = strconv.FormatInt(id, 10)
		index[id] = len(exps)
		ids = append(ids, id)
		exps = append(exps, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading experiments: %w", err)
	}
	if len(ids) == 0 {
		return exps, nil
	}
	trows, err := s.query(ctx, q, `SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id IN (`+
		placeholders(len(ids))+`) ORDER BY seq`, ids...)
	if err != nil {
		return nil, fmt.Errorf("querying experiment tags: %w", err)
	}
	defer trows.Close()
	for trows.Next() {
		var id int64
		var t tracking.Tag
		if err := trows.Scan(&id, &t.Key, &t.Value); err != nil {
			return nil, fmt.Errorf("reading experiment tag: %w", err)
		}
		e := &exps[index[id]]
		e.Tags = append(e.Tags, t)
	}
	return exps, trows.Err()
}

// activeExperiment loads an experiment in tx and checks it is active.
func (s *Store) experimentStage(ctx context.Context, q querier, id string) (int64, string, error) {
	n, err := parseExperimentID(id)
	if err != nil {
		return 0, "", err
	}
	var stage string
	err = s.queryRow(ctx, q, `SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?`, n).Scan(&stage)
	if noRows(err) {
		return 0, "", tracking.NotFound("No Experiment with id=%s exists", id)
	}
	if err != nil {
		return 0, "", fmt.Errorf("reading experiment %s: %w", id, err)
	}
	return n, stage, nil
}

// RenameExperiment implements tracking.ExperimentStore.
func (s *Store) RenameExperiment(ctx context.Context, id, newName string) error {
	if err := tracking.ValidateExperimentName(newName); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		n, stage, err := s.experimentStage(ctx, tx, id)
		if err != nil {
			return err
		}
		if stage != tracking.LifecycleActive {
			return tracking.InvalidParameter("Cannot rename a non-active experiment.")
		}
		_, err = s.exec(ctx, tx, `UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?`, newName, s.now(), n)
		if s.d.isUniqueViolation(err) {
			return tracking.AlreadyExists("Experiment(name=%s) already exists.", newName)
		}
		if err != nil {
			return fmt.Errorf("renaming experiment %s: %w", id, err)
		}
		return nil
	})
}

// DeleteExperiment implements tracking.ExperimentStore: the experiment and
// its runs become deleted.
func (s *Store) DeleteExperiment(ctx context.Context, id string) error {
	if id == tracking.DefaultExperimentID {
		return tracking.InvalidParameter("Cannot delete the default experiment '0'. This is an internally reserved experiment.")
	}
	return s.setExperimentStage(ctx, id, tracking.LifecycleDeleted)
}

// RestoreExperiment implements tracking.ExperimentStore.
func (s *Store) RestoreExperiment(ctx context.Context, id string) error {
	return s.setExperimentStage(ctx, id, tracking.LifecycleActive)
}

func (s *Store) setExperimentStage(ctx context.Context, id, stage string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		n, _, err := s.experimentStage(ctx, tx, id)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := s.exec(ctx, tx, `UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?`, stage, now, n); err != nil {
			return fmt.Errorf("updating experiment %s: %w", id, err)
		}
		var deleted any
		if stage == tracking.LifecycleDeleted {
			deleted = now
		}
		if _, err := s.exec(ctx, tx, `UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE experiment_id = ?`, stage, deleted, n); err != nil {
			return fmt.Errorf("updating runs of experiment %s: %w", id, err)
		}
		return nil
	})
}

// SetExperimentTag implements tracking.ExperimentStore.
func (s *Store) SetExperimentTag(ctx context.Context, id string, tag tracking.Tag) error {
	if err := tracking.ValidateExperimentTag(tag); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		n, stage, err := s.experimentStage(ctx, tx, id)
		if err != nil {
			return err
		}
		if stage != tracking.LifecycleActive {
			return tracking.InvalidParameter("The experiment %s must be in the 'active' state. Current state is %s.", id, stage)
		}
		return s.upsertExperimentTag(ctx, tx, n, tag)
	})
}

// DeleteExperimentTag implements tracking.ExperimentStore.
func (s *Store) DeleteExperimentTag(ctx context.Context, id, key string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		n, _, err := s.experimentStage(ctx, tx, id)
		if err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, `DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?`, n, key)
		if err != nil {
			return fmt.Errorf("deleting tag %q of experiment %s: %w", key, id, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return tracking.NotFound("No tag with name: %s in experiment with id %s", key, id)
		}
		return nil
	})
}
