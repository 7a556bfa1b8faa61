package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/berthml/berth/tracking"
)

func modelNotFound(name string) error {
	return tracking.NotFound("Registered Model with name=%s not found", name)
}

// modelExists checks that a registered model exists.
func (s *Store) modelExists(ctx context.Context, q querier, name string) error {
	var one int
	err := s.queryRow(ctx, q, `SELECT 1 FROM registered_models WHERE name = ?`, name).Scan(&one)
	if noRows(err) {
		return modelNotFound(name)
	}
	if err != nil {
		return fmt.Errorf("reading registered model %q: %w", name, err)
	}
	return nil
}

func (s *Store) getModel(ctx context.Context, q querier, name string) (*tracking.RegisteredModel, error) {
	ms, err := s.loadModels(ctx, q, `WHERE rm.name = ?`, name)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, modelNotFound(name)
	}
	return &ms[0], nil
}

// CreateRegisteredModel implements tracking.RegistryStore.
func (s *Store) CreateRegisteredModel(ctx context.Context, name, description string, tags []tracking.Tag) (*tracking.RegisteredModel, error) {
	if err := tracking.ValidateModelName(name); err != nil {
		return nil, err
	}
	for _, t := range tags {
		if err := tracking.ValidateRegistryTag("Registered model", t); err != nil {
			return nil, err
		}
	}
	var m *tracking.RegisteredModel
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		_, err := s.exec(ctx, tx, `INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (?, ?, ?, ?)`,
			name, now, now, description)
		if s.d.isUniqueViolation(err) {
			return tracking.AlreadyExists("Registered Model (name=%s) already exists.", name)
		}
		if err != nil {
			return fmt.Errorf("inserting registered model %q: %w", name, err)
		}
		for _, t := range tags {
			if err := s.upsertModelTag(ctx, tx, name, t); err != nil {
				return err
			}
		}
		m, err = s.getModel(ctx, tx, name)
		return err
	})
	return m, err
}

func (s *Store) upsertModelTag(ctx context.Context, q querier, name string, t tracking.Tag) error {
	if _, err := s.exec(ctx, q, `INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)
		ON CONFLICT (name, key) DO UPDATE SET value = excluded.value`, name, t.Key, t.Value); err != nil {
		return fmt.Errorf("setting tag %q of registered model %q: %w", t.Key, name, err)
	}
	return nil
}

// GetRegisteredModel implements tracking.RegistryStore.
func (s *Store) GetRegisteredModel(ctx context.Context, name string) (*tracking.RegisteredModel, error) {
	if err := tracking.ValidateModelName(name); err != nil {
		return nil, err
	}
	return s.getModel(ctx, s.read, name)
}

// RenameRegisteredModel implements tracking.RegistryStore. Versions, tags
// and aliases follow the model.
func (s *Store) RenameRegisteredModel(ctx context.Context, name, newName string) (*tracking.RegisteredModel, error) {
	if err := tracking.ValidateModelName(newName); err != nil {
		return nil, err
	}
	var m *tracking.RegisteredModel
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.modelExists(ctx, tx, name); err != nil {
			return err
		}
		now := s.now()
		_, err := s.exec(ctx, tx, `UPDATE registered_models SET name = ?, last_updated_time = ? WHERE name = ?`, newName, now, name)
		if s.d.isUniqueViolation(err) {
			return tracking.AlreadyExists("Registered Model (name=%s) already exists.", newName)
		}
		if err != nil {
			return fmt.Errorf("renaming registered model %q: %w", name, err)
		}
		if _, err := s.exec(ctx, tx, `UPDATE model_versions SET last_updated_time = ? WHERE name = ?`, now, newName); err != nil {
			return fmt.Errorf("renaming versions of registered model %q: %w", name, err)
		}
		m, err = s.getModel(ctx, tx, newName)
		return err
	})
	return m, err
}

// UpdateRegisteredModel implements tracking.RegistryStore.
func (s *Store) UpdateRegisteredModel(ctx context.Context, name, description string) (*tracking.RegisteredModel, error) {
	var m *tracking.RegisteredModel
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.modelExists(ctx, tx, name); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE registered_models SET description = ?, last_updated_time = ? WHERE name = ?`,
			description, s.now(), name); err != nil {
			return fmt.Errorf("updating registered model %q: %w", name, err)
		}
		var err error
		m, err = s.getModel(ctx, tx, name)
		return err
	})
	return m, err
}

// DeleteRegisteredModel implements tracking.RegistryStore: the model, its
// versions, tags and aliases are removed.
func (s *Store) DeleteRegisteredModel(ctx context.Context, name string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.modelExists(ctx, tx, name); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM registered_models WHERE name = ?`, name); err != nil {
			return fmt.Errorf("deleting registered model %q: %w", name, err)
		}
		return nil
	})
}

// SetRegisteredModelTag implements tracking.RegistryStore.
func (s *Store) SetRegisteredModelTag(ctx context.Context, name string, tag tracking.Tag) error {
	if err := tracking.ValidateRegistryTag("Registered model", tag); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.modelExists(ctx, tx, name); err != nil {
			return err
		}
		return s.upsertModelTag(ctx, tx, name, tag)
	})
}

// DeleteRegisteredModelTag implements tracking.RegistryStore; deleting a
// missing tag succeeds, as in MLflow.
func (s *Store) DeleteRegisteredModelTag(ctx context.Context, name, key string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.modelExists(ctx, tx, name); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM registered_model_tags WHERE name = ? AND key = ?`, name, key); err != nil {
			return fmt.Errorf("deleting tag %q of registered model %q: %w", key, name, err)
		}
		return nil
	})
}

// GetLatestVersions implements tracking.RegistryStore.
func (s *Store) GetLatestVersions(ctx context.Context, name string, stages []string) ([]tracking.ModelVersion, error) {
	want := map[string]bool{}
	for _, st := range stages {
		c, err := tracking.CanonicalStage(st)
		if err != nil {
			return nil, err
		}
		want[c] = true
	}
	m, err := s.getModel(ctx, s.read, name)
	if err != nil {
		return nil, err
	}
	out := []tracking.ModelVersion{}
	for _, v := range m.LatestVersions {
		if len(want) == 0 || want[v.CurrentStage] {
			out = append(out, v)
		}
	}
	return out, nil
}

// SetRegisteredModelAlias implements tracking.RegistryStore.
func (s *Store) SetRegisteredModelAlias(ctx context.Context, name, alias, version string) error {
	if err := tracking.ValidateAlias(alias); err != nil {
		return err
	}
	n, err := tracking.ParseModelVersion(version)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.modelExists(ctx, tx, name); err != nil {
			return err
		}
		if err := s.versionExists(ctx, tx, name, n); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?)
			ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version`, name, alias, n); err != nil {
			return fmt.Errorf("setting alias %q of registered model %q: %w", alias, name, err)
		}
		return nil
	})
}

// DeleteRegisteredModelAlias implements tracking.RegistryStore.
func (s *Store) DeleteRegisteredModelAlias(ctx context.Context, name, alias string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.modelExists(ctx, tx, name); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?`, name, alias); err != nil {
			return fmt.Errorf("deleting alias %q of registered model %q: %w", alias, name, err)
		}
		return nil
	})
}

// GetModelVersionByAlias implements tracking.RegistryStore. A missing alias
// is INVALID_PARAMETER_VALUE, as in MLflow.
func (s *Store) GetModelVersionByAlias(ctx context.Context, name, alias string) (*tracking.ModelVersion, error) {
	if err := s.modelExists(ctx, s.read, name); err != nil {
		return nil, err
	}
	vs, err := s.loadVersions(ctx, s.read, true, `JOIN registered_model_aliases a ON a.name = mv.name AND a.version = mv.version
		WHERE a.name = ? AND a.alias = ?`, name, alias)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, tracking.InvalidParameter("Registered model alias %s not found.", alias)
	}
	return &vs[0], nil
}
