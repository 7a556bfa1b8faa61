package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/berthml/berth/tracking"
)

func versionNotFound(name string, version any) error {
	return tracking.NotFound("Model Version (name=%s, version=%v) not found", name, version)
}

// versionExists checks that a live (not deleted) model version exists.
func (s *Store) versionExists(ctx context.Context, q querier, name string, n int64) error {
	var stage string
	err := s.queryRow(ctx, q, `SELECT current_stage FROM model_versions WHERE name = ? AND version = ?`, name, n).Scan(&stage)
	if noRows(err) || stage == stageDeleted {
		return versionNotFound(name, n)
	}
	if err != nil {
		return fmt.Errorf("reading model version %s/%d: %w", name, n, err)
	}
	return nil
}

func (s *Store) getVersion(ctx context.Context, q querier, name string, n int64) (*tracking.ModelVersion, error) {
	vs, err := s.loadVersions(ctx, q, true, `WHERE mv.name = ? AND mv.version = ? AND mv.current_stage <> ?`, name, n, stageDeleted)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, versionNotFound(name, n)
	}
	return &vs[0], nil
}

// CreateModelVersion implements tracking.RegistryStore. The new version is
// one more than the highest ever created for the model, and READY at once.
func (s *Store) CreateModelVersion(ctx context.Context, v tracking.CreateModelVersion) (*tracking.ModelVersion, error) {
	return s.createVersion(ctx, v, true)
}

// createVersion is CreateModelVersion's transaction; CreatePromptVersion
// calls it with checkSource false, and its errors then name a prompt.
func (s *Store) createVersion(ctx context.Context, v tracking.CreateModelVersion, checkSource bool) (*tracking.ModelVersion, error) {
	if err := tracking.ValidateModelName(v.Name); err != nil {
		return nil, err
	}
	if checkSource {
		if err := tracking.ValidateModelVersionSource(v.Source); err != nil {
			return nil, err
		}
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
			// Lock the model row so concurrent creators number in turn.
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
			if _, err := s.exec(ctx, tx, `INSERT INTO model_versions (`+versionColumns+`) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, '')`,
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
		what := "a version of"
		if !checkSource {
			what = "a version of prompt"
		}
		return nil, fmt.Errorf("creating %s %q: %w", what, v.Name, err)
	}
	return mv, nil
}

func (s *Store) upsertVersionTag(ctx context.Context, q querier, name string, n int64, t tracking.Tag) error {
	if _, err := s.exec(ctx, q, `INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)
		ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value`, name, n, t.Key, t.Value); err != nil {
		return fmt.Errorf("setting tag %q of model version %s/%d: %w", t.Key, name, n, err)
	}
	return nil
}

// GetModelVersion implements tracking.RegistryStore.
func (s *Store) GetModelVersion(ctx context.Context, name, version string) (*tracking.ModelVersion, error) {
	n, err := tracking.ParseModelVersion(version)
	if err != nil {
		return nil, err
	}
	return s.getVersion(ctx, s.read, name, n)
}

// UpdateModelVersion implements tracking.RegistryStore.
func (s *Store) UpdateModelVersion(ctx context.Context, name, version, description string) (*tracking.ModelVersion, error) {
	n, err := tracking.ParseModelVersion(version)
	if err != nil {
		return nil, err
	}
	var mv *tracking.ModelVersion
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.versionExists(ctx, tx, name, n); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE model_versions SET description = ?, last_updated_time = ? WHERE name = ? AND version = ?`,
			description, s.now(), name, n); err != nil {
			return fmt.Errorf("updating model version %s/%d: %w", name, n, err)
		}
		mv, err = s.getVersion(ctx, tx, name, n)
		return err
	})
	return mv, err
}

// DeleteModelVersion implements tracking.RegistryStore. The version is kept
// as a redacted tombstone so its number is never reused; its aliases go.
func (s *Store) DeleteModelVersion(ctx context.Context, name, version string) error {
	n, err := tracking.ParseModelVersion(version)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.versionExists(ctx, tx, name, n); err != nil {
			return err
		}
		now := s.now()
		if _, err := s.exec(ctx, tx, `UPDATE model_versions SET current_stage = ?, description = '', source = 'REDACTED-SOURCE-PATH',
			run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK', status_message = '', last_updated_time = ?
			WHERE name = ? AND version = ?`, stageDeleted, now, name, n); err != nil {
			return fmt.Errorf("deleting model version %s/%d: %w", name, n, err)
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM registered_model_aliases WHERE name = ? AND version = ?`, name, n); err != nil {
			return fmt.Errorf("deleting aliases of model version %s/%d: %w", name, n, err)
		}
		if _, err := s.exec(ctx, tx, `UPDATE registered_models SET last_updated_time = ? WHERE name = ?`, now, name); err != nil {
			return fmt.Errorf("updating registered model %q: %w", name, err)
		}
		return nil
	})
}

// TransitionModelVersionStage implements tracking.RegistryStore.
func (s *Store) TransitionModelVersionStage(ctx context.Context, name, version, stage string, archiveExisting bool) (*tracking.ModelVersion, error) {
	n, err := tracking.ParseModelVersion(version)
	if err != nil {
		return nil, err
	}
	stage, err = tracking.CanonicalStage(stage)
	if err != nil {
		return nil, err
	}
	if archiveExisting && stage != tracking.StageStaging && stage != tracking.StageProduction {
		return nil, tracking.InvalidParameter("Model version transition cannot archive existing model versions because '%s' is not an Active stage. Valid stages are %s, %s",
			stage, tracking.StageStaging, tracking.StageProduction)
	}
	var mv *tracking.ModelVersion
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.versionExists(ctx, tx, name, n); err != nil {
			return err
		}
		now := s.now()
		if archiveExisting {
			if _, err := s.exec(ctx, tx, `UPDATE model_versions SET current_stage = ?, last_updated_time = ?
				WHERE name = ? AND version <> ? AND current_stage = ?`, tracking.StageArchived, now, name, n, stage); err != nil {
				return fmt.Errorf("archiving versions of %q: %w", name, err)
			}
		}
		if _, err := s.exec(ctx, tx, `UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE name = ? AND version = ?`,
			stage, now, name, n); err != nil {
			return fmt.Errorf("transitioning model version %s/%d: %w", name, n, err)
		}
		if _, err := s.exec(ctx, tx, `UPDATE registered_models SET last_updated_time = ? WHERE name = ?`, now, name); err != nil {
			return fmt.Errorf("updating registered model %q: %w", name, err)
		}
		mv, err = s.getVersion(ctx, tx, name, n)
		return err
	})
	return mv, err
}

// SetModelVersionTag implements tracking.RegistryStore.
func (s *Store) SetModelVersionTag(ctx context.Context, name, version string, tag tracking.Tag) error {
	if err := tracking.ValidateRegistryTag("Model version", tag); err != nil {
		return err
	}
	n, err := tracking.ParseModelVersion(version)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.versionExists(ctx, tx, name, n); err != nil {
			return err
		}
		return s.upsertVersionTag(ctx, tx, name, n, tag)
	})
}

// DeleteModelVersionTag implements tracking.RegistryStore; deleting a
// missing tag succeeds.
func (s *Store) DeleteModelVersionTag(ctx context.Context, name, version, key string) error {
	n, err := tracking.ParseModelVersion(version)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.versionExists(ctx, tx, name, n); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?`, name, n, key); err != nil {
			return fmt.Errorf("deleting tag %q of model version %s/%d: %w", key, name, n, err)
		}
		return nil
	})
}

// GetModelVersionDownloadURI implements tracking.RegistryStore: the source,
// with a runs:/<run_id>/<path> source resolved against the run's artifact
// URI.
func (s *Store) GetModelVersionDownloadURI(ctx context.Context, name, version string) (string, error) {
	mv, err := s.GetModelVersion(ctx, name, version)
	if err != nil {
		return "", err
	}
	rest, ok := strings.CutPrefix(mv.Source, "runs:/")
	if !ok {
		return mv.Source, nil
	}
	runID, rel, _ := strings.Cut(rest, "/")
	var artifactURI string
	err = s.queryRow(ctx, s.read, `SELECT artifact_uri FROM runs WHERE run_uuid = ?`, runID).Scan(&artifactURI)
	if noRows(err) {
		return "", tracking.NotFound("Run with id=%s not found", runID)
	}
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", mv.Source, err)
	}
	if rel == "" {
		return artifactURI, nil
	}
	return joinURI(artifactURI, rel), nil
}
