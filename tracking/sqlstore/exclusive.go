package sqlstore

import (
	"context"
	"fmt"

	"github.com/berthml/berth/tracing"
)

var _ tracing.Exclusive = (*Store)(nil)

// TryExclusive runs job unless another process sharing this database is
// running a job under the same key, and reports whether it ran: the
// background jobs of several berth server replicas on one PostgreSQL
// database (trace retention) run on one replica at a time. On PostgreSQL
// it holds a session advisory lock (pg_try_advisory_lock) on one pinned
// connection while job runs; a replica that dies loses its connection and
// with it the lock. A SQLite database belongs to one process: job always
// runs.
func (s *Store) TryExclusive(ctx context.Context, key int64, job func(context.Context) error) (bool, error) {
	if s.d.name != "postgres" {
		return true, job(ctx)
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("taking a connection for lock %d: %w", key, err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		return false, fmt.Errorf("taking advisory lock %d: %w", key, err)
	}
	if !got {
		return false, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	return true, job(ctx)
}
