package tracing

import (
	"context"
	"log/slog"
	"time"
)

// RetentionLockKey is the key retention runs under on a store that is
// Exclusive: on PostgreSQL, the advisory lock that lets one berth server
// replica at a time purge.
const RetentionLockKey int64 = 80115

// Exclusive is a store whose database several processes may share, that
// runs a job on one of them at a time (tracking/sqlstore: a PostgreSQL
// advisory lock). ran is false when another holds key.
type Exclusive interface {
	TryExclusive(ctx context.Context, key int64, job func(context.Context) error) (ran bool, err error)
}

// Purge deletes every trace (its row, tags, metadata, spans and
// assessments) whose request time is more than keep before now, and
// returns how many went.
func Purge(ctx context.Context, s Store, keep time.Duration, now time.Time) (int, error) {
	return s.PurgeTracesBefore(ctx, now.Add(-keep).UnixMilli())
}

// PurgeOnce is Purge run by one process at a time among those sharing s's
// database, when s is Exclusive: ran is false, and nothing deleted, while
// another replica purges (it deletes the same traces). A store that is not
// Exclusive always purges.
func PurgeOnce(ctx context.Context, s Store, keep time.Duration, now time.Time) (n int, ran bool, err error) {
	ex, ok := s.(Exclusive)
	if !ok {
		n, err = Purge(ctx, s, keep, now)
		return n, true, err
	}
	ran, err = ex.TryExclusive(ctx, RetentionLockKey, func(ctx context.Context) error {
		var err error
		n, err = Purge(ctx, s, keep, now)
		return err
	})
	return n, ran, err
}

// RunRetention purges traces older than keep at once and then every
// interval, until ctx ends; among replicas sharing one database (an
// Exclusive store) one purges at a time, and a replica that finds another
// purging skips its turn. Failures are logged and retried at the next
// tick; they never stop the server.
func RunRetention(ctx context.Context, s Store, keep, interval time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		n, ran, err := PurgeOnce(ctx, s, keep, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("purging old traces", "keep", keep, "err", err)
		case !ran:
			log.Debug("another replica is purging old traces: skipped", "keep", keep)
		case n > 0:
			log.Info("purged old traces", "traces", n, "keep", keep)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
