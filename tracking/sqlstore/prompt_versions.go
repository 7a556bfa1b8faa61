package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/berthml/berth/tracking"
)

// CreatePromptVersion creates a version of a registered model like
// CreateModelVersion, except that the source is not validated: MLflow 3's
// prompt registry sends source "dummy-source" with tag
// mlflow.prompt.is_prompt, and MLflow's server skips the source check for
// such requests. The server calls it only for those.
//
// The body is CreateModelVersion's transaction; keep the two alike.
func (s *Store) CreatePromptVersion(ctx context.Context, v tracking.CreateModelVersion) (*tracking.ModelVersion, error) {
	if err := tracking.ValidateModelName(v.Name); err != nil {
		return nil, err
	}
	if err := tracking.ValidateModelVersionRunID(v.RunID); err != nil {
		return nil, err
	}
	for _, t := range v.Tags {
		if err := tracking.ValidateRegistryTag("Model version", t); err != nil {
			return nil, err
		}
	}
	var mv *tracking.ModelVersion
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			var one int
			err := s.queryRow(ctx, tx, `SELECT 1 FROM registered_models WHERE name = ?`+s.d.forUpdate, v.Name).Scan(&one)
			if noRows(err) {
				return modelNotFound(v.Name)
			}
			if err != nil {
				return fmt.Errorf("locking registered model %q: %w", v.Name, err)
			}
			var next int64
			if err := s.queryRow(ctx, tx, `SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = ?`, v.Name).Scan(&next); err != nil {
				return fmt.Errorf("numbering a version of %q: %w", v.Name, err)
			}
			now := s.now()
			if _, err := s.exec(ctx, tx, `INSERT INTO model_versions (name, version, creation_time, last_updated_time,
				description, user_id, current_stage, source, run_id, run_link, status, status_message)
				VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, '')`,
				v.Name, next, now, now, v.Description, tracking.StageNone, v.Source, v.RunID, v.RunLink, tracking.ModelVersionReady); err != nil {
				return err
			}
			for _, t := range v.Tags {
				if err := s.upsertVersionTag(ctx, tx, v.Name, next, t); err != nil {
					return err
				}
			}
			if _, err := s.exec(ctx, tx, `UPDATE registered_models SET last_updated_time = ? WHERE name = ?`, now, v.Name); err != nil {
				return fmt.Errorf("updating registered model %q: %w", v.Name, err)
			}
			mv, err = s.getVersion(ctx, tx, v.Name, next)
			return err
		})
		if !s.d.isUniqueViolation(err) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("creating a version of prompt %q: %w", v.Name, err)
	}
	return mv, nil
}
