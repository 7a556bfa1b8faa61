package tracing

import (
	"context"
	"log/slog"
	"time"
)

// Purge deletes every trace (its row, tags, metadata, spans and
// assessments) whose request time is more than keep before now, and
// returns how many went.
func Purge(ctx context.Context, s Store, keep time.Duration, now time.Time) (int, error) {
	return s.PurgeTracesBefore(ctx, now.Add(-keep).UnixMilli())
}

// RunRetention purges traces older than keep at once and then every
// interval, until ctx ends. Failures are logged and retried at the next
// tick; they never stop the server.
func RunRetention(ctx context.Context, s Store, keep, interval time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		n, err := Purge(ctx, s, keep, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("purging old traces", "keep", keep, "err", err)
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
