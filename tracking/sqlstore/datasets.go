package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/berthml/berth/tracking"
)

// Evaluation datasets (MLflow 3's mlflow.genai.datasets), kept as MLflow's
// SQL store keeps them: one record per distinct inputs, so upserting a
// record whose inputs are already there merges into it.

const datasetColumns = `dataset_id, name, tags, dataset_schema, profile, digest, created_time, last_update_time, created_by, last_updated_by`

const recordColumns = `dataset_record_id, dataset_id, inputs, outputs, expectations, tags, source, source_id, source_type,
	created_time, last_update_time, created_by, last_updated_by`

func datasetNotFound(id string) error {
	return tracking.NotFound("Dataset '%s' not found", id)
}

// CreateDataset stores a new dataset linked to d.ExperimentIDs (each must
// exist) and returns it with its id and times.
func (s *Store) CreateDataset(ctx context.Context, d tracking.EvalDataset) (*tracking.EvalDataset, error) {
	if d.Name == "" {
		return nil, tracking.InvalidParameter("Dataset name cannot be empty.")
	}
	if len(d.Name) > 255 {
		return nil, tracking.InvalidParameter("Dataset name exceeds the maximum length of 255 characters.")
	}
	d.ID = "d-" + newRunID()
	now := s.now()
	d.CreatedTime, d.LastUpdateTime = now, now
	if d.CreatedBy == "" {
		d.CreatedBy = d.Tags[tracking.DatasetUserTag]
	}
	d.LastUpdatedBy = d.CreatedBy
	if d.Profile == "" {
		d.Profile = `{"num_records": 0}`
	}
	d.Digest = recordsDigest(d.ID, nil)
	tags, err := marshalTags(d.Tags)
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `INSERT INTO evaluation_datasets (`+datasetColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.Name, tags, d.Schema, d.Profile, d.Digest, now, now, d.CreatedBy, d.LastUpdatedBy); err != nil {
			return err
		}
		return s.linkDatasetExperiments(ctx, tx, d.ID, d.ExperimentIDs)
	})
	if err != nil {
		return nil, fmt.Errorf("creating dataset %q: %w", d.Name, err)
	}
	return s.GetDataset(ctx, d.ID)
}

func (s *Store) linkDatasetExperiments(ctx context.Context, tx *sql.Tx, id string, exps []string) error {
	seen := map[int64]bool{}
	for _, e := range exps {
		n, err := parseExperimentID(e)
		if err != nil {
			return err
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		var one int
		if err := s.queryRow(ctx, tx, `SELECT 1 FROM experiments WHERE experiment_id = ?`, n).Scan(&one); noRows(err) {
			return tracking.NotFound("No Experiment with id=%s exists", e)
		} else if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO evaluation_dataset_experiments (dataset_id, experiment_id) VALUES (?, ?)`, id, n); err != nil {
			return err
		}
	}
	return nil
}

// GetDataset returns a dataset with its experiment ids.
func (s *Store) GetDataset(ctx context.Context, id string) (*tracking.EvalDataset, error) {
	ds, err := s.loadDatasets(ctx, `WHERE dataset_id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, datasetNotFound(id)
	}
	return &ds[0], nil
}

// ListDatasets returns the datasets linked to any of experimentIDs (all
// datasets when none), newest first.
func (s *Store) ListDatasets(ctx context.Context, experimentIDs []string) ([]tracking.EvalDataset, error) {
	if len(experimentIDs) == 0 {
		return s.loadDatasets(ctx, `ORDER BY created_time DESC, dataset_id`)
	}
	args := make([]any, len(experimentIDs))
	for i, e := range experimentIDs {
		n, err := parseExperimentID(e)
		if err != nil {
			return nil, err
		}
		args[i] = n
	}
	return s.loadDatasets(ctx, `WHERE dataset_id IN (SELECT dataset_id FROM evaluation_dataset_experiments WHERE experiment_id IN (`+
		placeholders(len(args))+`)) ORDER BY created_time DESC, dataset_id`, args...)
}

// DeleteDataset removes a dataset with its records and links.
func (s *Store) DeleteDataset(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM evaluation_dataset_records WHERE dataset_id = ?`,
			`DELETE FROM evaluation_dataset_experiments WHERE dataset_id = ?`} {
			if _, err := s.exec(ctx, tx, q, id); err != nil {
				return fmt.Errorf("deleting dataset %s: %w", id, err)
			}
		}
		res, err := s.exec(ctx, tx, `DELETE FROM evaluation_datasets WHERE dataset_id = ?`, id)
		if err != nil {
			return fmt.Errorf("deleting dataset %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return datasetNotFound(id)
		}
		return nil
	})
}

// SetDatasetTags merges tags into the dataset's.
func (s *Store) SetDatasetTags(ctx context.Context, id string, tags map[string]string) error {
	return s.updateDatasetTags(ctx, id, func(m map[string]string) {
		for k, v := range tags {
			m[k] = v
		}
	})
}

// DeleteDatasetTag removes one tag; a missing key is not an error.
func (s *Store) DeleteDatasetTag(ctx context.Context, id, key string) error {
	return s.updateDatasetTags(ctx, id, func(m map[string]string) { delete(m, key) })
}

func (s *Store) updateDatasetTags(ctx context.Context, id string, change func(map[string]string)) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var raw string
		err := s.queryRow(ctx, tx, `SELECT tags FROM evaluation_datasets WHERE dataset_id = ?`+s.d.forUpdate, id).Scan(&raw)
		if noRows(err) {
			return datasetNotFound(id)
		}
		if err != nil {
			return fmt.Errorf("reading dataset %s: %w", id, err)
		}
		m := map[string]string{}
		if raw != "" {
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				return fmt.Errorf("reading the tags of dataset %s: %w", id, err)
			}
		}
		change(m)
		out, err := marshalTags(m)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `UPDATE evaluation_datasets SET tags = ?, last_update_time = ? WHERE dataset_id = ?`, out, s.now(), id)
		return err
	})
}

// AddDatasetExperiments links a dataset to more experiments (each must
// exist; a link it already has is kept) and returns the dataset.
func (s *Store) AddDatasetExperiments(ctx context.Context, id string, exps []string) (*tracking.EvalDataset, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		linked, err := s.lockDatasetLinks(ctx, tx, id)
		if err != nil {
			return err
		}
		var add []string
		for _, e := range exps {
			n, err := parseExperimentID(e)
			if err != nil {
				return err
			}
			if !linked[n] {
				linked[n] = true
				add = append(add, e)
			}
		}
		if err := s.linkDatasetExperiments(ctx, tx, id, add); err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `UPDATE evaluation_datasets SET last_update_time = ? WHERE dataset_id = ?`, s.now(), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetDataset(ctx, id)
}

// RemoveDatasetExperiments unlinks a dataset from experiments (one it is not
// linked to is no error) and returns the dataset.
func (s *Store) RemoveDatasetExperiments(ctx context.Context, id string, exps []string) (*tracking.EvalDataset, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.lockDatasetLinks(ctx, tx, id); err != nil {
			return err
		}
		for _, e := range exps {
			n, err := parseExperimentID(e)
			if err != nil {
				return err
			}
			if _, err := s.exec(ctx, tx, `DELETE FROM evaluation_dataset_experiments WHERE dataset_id = ? AND experiment_id = ?`, id, n); err != nil {
				return err
			}
		}
		_, err := s.exec(ctx, tx, `UPDATE evaluation_datasets SET last_update_time = ? WHERE dataset_id = ?`, s.now(), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetDataset(ctx, id)
}

// lockDatasetLinks locks a dataset's row for the transaction and returns
// the experiments it is linked to.
func (s *Store) lockDatasetLinks(ctx context.Context, tx *sql.Tx, id string) (map[int64]bool, error) {
	var one int
	err := s.queryRow(ctx, tx, `SELECT 1 FROM evaluation_datasets WHERE dataset_id = ?`+s.d.forUpdate, id).Scan(&one)
	if noRows(err) {
		return nil, datasetNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading dataset %s: %w", id, err)
	}
	rows, err := s.query(ctx, tx, `SELECT experiment_id FROM evaluation_dataset_experiments WHERE dataset_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	linked := map[int64]bool{}
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		linked[n] = true
	}
	return linked, rows.Err()
}

// GetDatasetExperimentIDs returns the experiments a dataset is linked to.
func (s *Store) GetDatasetExperimentIDs(ctx context.Context, id string) ([]string, error) {
	d, err := s.GetDataset(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.ExperimentIDs, nil
}

func (s *Store) loadDatasets(ctx context.Context, clause string, args ...any) ([]tracking.EvalDataset, error) {
	rows, err := s.query(ctx, s.read, `SELECT `+datasetColumns+` FROM evaluation_datasets `+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("reading datasets: %w", err)
	}
	var out []tracking.EvalDataset
	idx := map[string]int{}
	for rows.Next() {
		var d tracking.EvalDataset
		var tags string
		if err := rows.Scan(&d.ID, &d.Name, &tags, &d.Schema, &d.Profile, &d.Digest, &d.CreatedTime, &d.LastUpdateTime,
			&d.CreatedBy, &d.LastUpdatedBy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading datasets: %w", err)
		}
		if err := json.Unmarshal([]byte(tags), &d.Tags); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading the tags of dataset %s: %w", d.ID, err)
		}
		idx[d.ID] = len(out)
		out = append(out, d)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]any, 0, len(out))
	for _, d := range out {
		ids = append(ids, d.ID)
	}
	erows, err := s.query(ctx, s.read, `SELECT dataset_id, experiment_id FROM evaluation_dataset_experiments WHERE dataset_id IN (`+
		placeholders(len(ids))+`) ORDER BY dataset_id, experiment_id`, ids...)
	if err != nil {
		return nil, fmt.Errorf("reading dataset experiments: %w", err)
	}
	defer erows.Close()
	for erows.Next() {
		var id string
		var exp int64
		if err := erows.Scan(&id, &exp); err != nil {
			return nil, err
		}
		out[idx[id]].ExperimentIDs = append(out[idx[id]].ExperimentIDs, strconv.FormatInt(exp, 10))
	}
	return out, erows.Err()
}

func marshalTags(tags map[string]string) (string, error) {
	if tags == nil {
		tags = map[string]string{}
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return "", fmt.Errorf("encoding tags: %w", err)
	}
	return string(b), nil
}
