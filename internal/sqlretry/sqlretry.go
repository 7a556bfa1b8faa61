// Package sqlretry runs a database transaction again when PostgreSQL
// refuses it as deadlocked (SQLSTATE 40P01) or not serialisable (40001),
// after which the whole transaction can run again from the start. It is
// the one retry rule of berth's stores (tracking/sqlstore, gateway/keys):
// several requests or replicas writing the same rows then do not lose a
// write to each other's locks.
//
// The transaction Do runs may run more than once, so it must only assign
// variables outside it, never accumulate in them (a counter, slice or map
// outside is reset at its top), and effects outside the database happen
// after Do returns.
package sqlretry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Attempts is the most times Do runs one transaction that PostgreSQL
// refuses as deadlocked or not serialisable.
const Attempts = 5

// Backoff is the wait before retry n (1, 2, ...) of a transaction: 2, 4,
// 8, 16 ms, each plus up to as much again at random, so that the two
// transactions of a deadlock do not meet again in step.
func Backoff(retry int) time.Duration {
	base := 2 * time.Millisecond << (retry - 1)
	return base + rand.N(base)
}

// Code is the SQLSTATE of err when it is PostgreSQL's deadlock_detected
// (40P01) or serialization_failure (40001), however wrapped; "" otherwise.
func Code(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001") {
		return pgErr.Code
	}
	return ""
}

// Do runs attempt (one whole transaction, rolled back when it fails) and,
// while it fails with a refusal Code names, runs it again after wait(n)
// (Backoff when wait is nil), up to Attempts times in all; each retry is
// logged at WARN on log (when not nil). The end of ctx ends a wait at
// once, with both the refusal and ctx's cause in the error. Other errors,
// and the last refusal, are returned unchanged.
func Do(ctx context.Context, log *slog.Logger, wait func(retry int) time.Duration, attempt func() error) error {
	if wait == nil {
		wait = Backoff
	}
	for n := 1; ; n++ {
		err := attempt()
		if err == nil {
			return nil
		}
		code := Code(err)
		if code == "" || n == Attempts {
			return err
		}
		d := wait(n)
		if log != nil {
			log.Warn("retrying a transaction PostgreSQL refused", "sqlstate", code, "attempt", n, "wait", d)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (not retried: %w)", err, context.Cause(ctx))
		case <-t.C:
		}
	}
}
