package sqlstore

import (
	"context"
	"database/sql"

	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking"
)

// assessmentColumns are an assessment's columns as scanAssessment reads
// them, from assessments a joined with its trace_info t (the trace id is
// the trace's; assessments keep its trace_key, migration 0012).
const assessmentColumns = `a.assessment_id, t.request_id, a.name, a.kind, a.value, a.create_time, a.last_update_time, a.body`

type scanner interface{ Scan(dest ...any) error }

func scanAssessment(r scanner) (tracing.Assessment, error) {
	var a tracing.Assessment
	var body string
	err := r.Scan(&a.ID, &a.TraceID, &a.Name, &a.Kind, &a.Value, &a.CreateTime, &a.LastUpdateTime, &body)
	a.Body = []byte(body)
	return a, err
}

func assessmentNotFound(traceID, id string) error {
	return tracking.NotFound("Assessment with ID '%s' not found for trace '%s'", id, traceID)
}

// CreateAssessment implements tracing.Store.
func (s *Store) CreateAssessment(ctx context.Context, a tracing.Assessment) (tracing.Assessment, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		key, err := s.traceKey(ctx, tx, a.TraceID)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `INSERT INTO assessments (assessment_id, trace_key, name, kind, value, create_time,
			last_update_time, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, key, a.Name, a.Kind, a.Value, a.CreateTime, a.LastUpdateTime, string(a.Body))
		if s.d.isUniqueViolation(err) {
			return tracking.AlreadyExists("Assessment with ID '%s' already exists", a.ID)
		}
		return err
	})
	return a, err
}

// GetAssessment implements tracing.Store.
func (s *Store) GetAssessment(ctx context.Context, traceID, id string) (tracing.Assessment, error) {
	a, err := scanAssessment(s.queryRow(ctx, s.read, `SELECT `+assessmentColumns+` FROM assessments a
		JOIN trace_info t ON t.trace_key = a.trace_key WHERE t.request_id = ? AND a.assessment_id = ?`, traceID, id))
	if noRows(err) {
		if terr := s.traceExists(ctx, s.read, traceID); terr != nil {
			return tracing.Assessment{}, terr
		}
		return tracing.Assessment{}, assessmentNotFound(traceID, id)
	}
	return a, err
}

// UpdateAssessment implements tracing.Store: a replaces the stored
// assessment of the same trace and id.
func (s *Store) UpdateAssessment(ctx context.Context, a tracing.Assessment) (tracing.Assessment, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE assessments SET name = ?, kind = ?, value = ?, last_update_time = ?, body = ?
			WHERE trace_key = (SELECT trace_key FROM trace_info WHERE request_id = ?) AND assessment_id = ?`,
			a.Name, a.Kind, a.Value, a.LastUpdateTime, string(a.Body), a.TraceID, a.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if err := s.traceExists(ctx, tx, a.TraceID); err != nil {
				return err
			}
			return assessmentNotFound(a.TraceID, a.ID)
		}
		return nil
	})
	return a, err
}

// DeleteAssessment implements tracing.Store.
func (s *Store) DeleteAssessment(ctx context.Context, traceID, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `DELETE FROM assessments
			WHERE trace_key = (SELECT trace_key FROM trace_info WHERE request_id = ?) AND assessment_id = ?`, traceID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if err := s.traceExists(ctx, tx, traceID); err != nil {
				return err
			}
			return assessmentNotFound(traceID, id)
		}
		return nil
	})
}
