package writeback

import (
	"context"

	"github.com/berthml/berth/drift"
)

// Enqueue queues w for [Writer.Run] and returns at once: when the queue
// is full the window is dropped, counted ([Writer.Dropped]) and logged,
// and Enqueue returns false. Its signature fits
// serve.WithDriftListener.
func (wr *Writer) Enqueue(model, version string, w drift.WindowResult) bool {
	select {
	case wr.queue <- job{key{model, version}, w}:
		return true
	default:
		n := wr.dropped.Add(1)
		wr.opts.logger.Warn("drift write-back queue full; window dropped",
			"model", model, "version", version, "window", w.Window, "dropped", n)
		return false
	}
}

// Listen is [Writer.Enqueue] without its result, for
// serve.WithDriftListener.
func (wr *Writer) Listen(model, version string, w drift.WindowResult) { wr.Enqueue(model, version, w) }

// Dropped returns how many windows Enqueue has dropped.
func (wr *Writer) Dropped() int64 { return wr.dropped.Load() }

// Run writes queued windows one at a time, each within the writer's
// timeout, until ctx is done. A failure is logged and the window is not
// retried. Run one per Writer.
func (wr *Writer) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-wr.queue:
			wctx, cancel := context.WithTimeout(ctx, wr.opts.timeout)
			err := wr.Window(wctx, j.model, j.version, j.w)
			cancel()
			if err != nil {
				wr.opts.logger.Warn("writing back a drift window", "model", j.model, "version", j.version,
					"window", j.w.Window, "error", err)
			}
		}
	}
}
