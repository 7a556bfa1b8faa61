package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/berthml/berth/internal/sqlretry"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in a write transaction and commits it; fn's error rolls back
// and is returned unchanged, so domain errors keep their type.
//
// On PostgreSQL, a transaction that fn or Commit finds refused as
// deadlocked or not serialisable is rolled back and run again from the
// start (internal/sqlretry: up to 5 attempts, jittered waits that ctx's end
// stops, each retry logged); the last refusal is returned when all fail.
//
// So fn may run more than once; it must only assign outer variables, never
// accumulate: a counter, slice or map outside fn is reset at fn's top (or
// filled after inTx returns), and effects outside the database (queues,
// caches, notifications) happen after inTx returns, never in fn.
//
// SQLite is not retried: its one write connection begins with BEGIN
// IMMEDIATE, which takes the write lock up front (waiting busy_timeout for
// another process's; see open.go), so fn and Commit in WAL mode never meet
// SQLITE_BUSY, and a BUSY from BEGIN has already waited its full timeout.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.stmts != nil {
		// Statements first seen in this transaction are prepared once it
		// has given the write connection back.
		defer s.stmts.prepareWanted(context.WithoutCancel(ctx))
	}
	return clientError(sqlretry.Do(ctx, s.log, s.txWait, func() error { return s.runTx(ctx, fn) }))
}

// runTx is one attempt of inTx: fn in a transaction, committed when fn
// succeeds, rolled back otherwise. Errors are as fn and database/sql give
// them, before clientError, so that sqlretry can tell a retryable one.
func (s *Store) runTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	// After Commit this is a no-op (sql.ErrTxDone); it also ends the
	// transaction when fn panics.
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing transaction: %w", err)
	}
	return nil
}

// exec runs a statement written with ? placeholders.
// In a write transaction on SQLite it runs the statement kept prepared.
func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	query = s.d.rebind(query)
	if st := s.prepared(ctx, q, query); st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, clientError(err)
	}
	res, err := q.ExecContext(ctx, query, args...)
	return res, clientError(err)
}

// query runs a query written with ? placeholders.
// In a write transaction on SQLite it runs the statement kept prepared.
func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	query = s.d.rebind(query)
	if st := s.prepared(ctx, q, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, clientError(err)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	return rows, clientError(err)
}

// queryRow runs a single-row query written with ? placeholders.
// In a write transaction on SQLite it runs the statement kept prepared.
func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	query = s.d.rebind(query)
	if st := s.prepared(ctx, q, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.QueryRowContext(ctx, query, args...)
}

// prepared is query's kept statement for q when q is a write transaction
// on SQLite and one is kept; nil otherwise.
func (s *Store) prepared(ctx context.Context, q querier, query string) *sql.Stmt {
	tx, ok := q.(*sql.Tx)
	if !ok || s.stmts == nil {
		return nil
	}
	return s.stmts.forTx(ctx, tx, query)
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
