package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/berthml/berth/tracking"
)

// LogInputs implements tracking.RunStore. A dataset is stored once per
// experiment by (name, digest); logging the same input twice is a no-op.
func (s *Store) LogInputs(ctx context.Context, runID string, inputs []tracking.DatasetInput) error {
	for _, in := range inputs {
		if err := tracking.ValidateDatasetInput(in); err != nil {
			return err
		}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeRun(ctx, tx, runID); err != nil {
			return err
		}
		var exp int64
		if err := s.queryRow(ctx, tx, `SELECT experiment_id FROM runs WHERE run_uuid = ?`, runID).Scan(&exp); err != nil {
			return fmt.Errorf("reading run %s: %w", runID, err)
		}
		for _, in := range inputs {
			d := in.Dataset
			if _, err := s.exec(ctx, tx, `INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, source, schema_json, profile)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (experiment_id, name, digest) DO NOTHING`,
				newRunID(), exp, d.Name, d.Digest, d.SourceType, d.Source, d.Schema, d.Profile); err != nil {
				return fmt.Errorf("inserting dataset %q: %w", d.Name, err)
			}
			var dsID string
			if err := s.queryRow(ctx, tx, `SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?`,
				exp, d.Name, d.Digest).Scan(&dsID); err != nil {
				return fmt.Errorf("reading dataset %q: %w", d.Name, err)
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO inputs (run_uuid, dataset_uuid) VALUES (?, ?) ON CONFLICT DO NOTHING`, runID, dsID); err != nil {
				return fmt.Errorf("inserting input of run %s: %w", runID, err)
			}
			var seq int64
			if err := s.queryRow(ctx, tx, `SELECT seq FROM inputs WHERE run_uuid = ? AND dataset_uuid = ?`, runID, dsID).Scan(&seq); err != nil {
				return fmt.Errorf("reading input of run %s: %w", runID, err)
			}
			for _, t := range in.Tags {
				if _, err := s.exec(ctx, tx, `INSERT INTO input_tags (input_seq, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
					seq, t.Key, t.Value); err != nil {
					return fmt.Errorf("inserting input tag %q: %w", t.Key, err)
				}
			}
		}
		return nil
	})
}
