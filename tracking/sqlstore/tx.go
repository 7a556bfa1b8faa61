package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in a write transaction and commits it; fn's error rolls back
// and is returned unchanged, so domain errors keep their type.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			err = clientError(err)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing transaction: %w", err)
	}
	return nil
}

// exec runs a statement written with ? placeholders.
func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	res, err := q.ExecContext(ctx, s.d.rebind(query), args...)
	return res, clientError(err)
}

// query runs a query written with ? placeholders.
func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	rows, err := q.QueryContext(ctx, s.d.rebind(query), args...)
	return rows, clientError(err)
}

// queryRow runs a single-row query written with ? placeholders.
func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.d.rebind(query), args...)
}

// noRows reports whether err says a single-row query found nothing.
func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	b := make([]byte, 0, 3*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// rowPlaceholders returns "(?, ?), (?, ?)" for rows rows of cols values.
func rowPlaceholders(rows, cols int) string {
	row := "(" + placeholders(cols) + ")"
	b := make([]byte, 0, rows*(len(row)+2))
	for i := 0; i < rows; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, row...)
	}
	return string(b)
}
