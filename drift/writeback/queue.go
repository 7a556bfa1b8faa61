package writeback

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
)

// Enqueue queues w for [Writer.Run] and returns at once: when the queue
// is full the window is dropped, counted ([Writer.Dropped]) and logged,
// and Enqueue returns false. Its signature fits
// serve.WithDriftListener.
func (wr *Writer) Enqueue(model, version string, w drift.WindowResult) bool {
	return wr.enqueue(job{key: key{model, version}, w: w}, "drift window", "window", w.Window)
}

// Listen is [Writer.Enqueue] without its result, for
// serve.WithDriftListener.
func (wr *Writer) Listen(model, version string, w drift.WindowResult) { wr.Enqueue(model, version, w) }

// EnqueueServing queues a serving report for [Writer.Run] like
// [Writer.Enqueue] queues a window: when the queue is full the report is
// dropped, counted and logged, and EnqueueServing returns false.
func (wr *Writer) EnqueueServing(model, version string, s ServingWindow) bool {
	return wr.enqueue(job{key: key{model, version}, s: &s}, "serving report", "step", s.Step)
}

// enqueue queues j, or drops, counts and logs it as what, numbered n, when
// the queue is full.
func (wr *Writer) enqueue(j job, what, nth string, n int64) bool {
	select {
	case wr.queue <- j:
		return true
	default:
		d := wr.dropped.Add(1)
		wr.opts.logger.Warn("write-back queue full; "+what+" dropped",
			"model", j.model, "version", j.version, nth, n, "dropped", d)
		return false
	}
}

// Dropped returns how many windows and serving reports Enqueue and
// EnqueueServing have dropped.
func (wr *Writer) Dropped() int64 { return wr.dropped.Load() }

// Run writes queued windows and serving reports one at a time, in the
// order they were queued, each within the writer's timeout, until ctx is
// done. A failure is logged and the write is not retried. Run one per
// Writer.
func (wr *Writer) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-wr.queue:
			wr.write(ctx, j)
		}
	}
}

// Drain writes what is queued now, as Run does, until the queue is empty
// or ctx is done, and returns how many were left unwritten. A server
// shutting down calls it once Run has returned, so that its last windows
// and reports are not lost.
func (wr *Writer) Drain(ctx context.Context) int {
	for ctx.Err() == nil {
		select {
		case j := <-wr.queue:
			wr.write(ctx, j)
		default:
			return 0
		}
	}
	return len(wr.queue)
}

// write writes one queued job within the writer's timeout and logs a
// failure.
func (wr *Writer) write(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeout(ctx, wr.opts.timeout)
	defer cancel()
	switch {
	case j.p != nil:
		if err := wr.Period(ctx, j.model, j.version, *j.p); err != nil {
			wr.opts.logger.Warn("writing back a drift period", "model", j.model, "version", j.version,
				"start", j.p.Start, "error", err)
		}
		return
	case j.m != nil:
		if err := wr.Merge(ctx, j.model, j.version, j.m.start, j.m.end, j.m.ref, j.m.th, j.m.persistence); err != nil {
			wr.opts.logger.Warn("merging drift", "model", j.model, "version", j.version, "start", j.m.start, "error", err)
		}
		return
	case j.s != nil:
		if err := wr.Serving(ctx, j.model, j.version, *j.s); err != nil {
			wr.opts.logger.Warn("writing back a serving report", "model", j.model, "version", j.version,
				"step", j.s.Step, "error", err)
		}
		return
	}
	if err := wr.Window(ctx, j.model, j.version, j.w); err != nil {
		wr.opts.logger.Warn("writing back a drift window", "model", j.model, "version", j.version,
			"window", j.w.Window, "error", err)
	}
}

// Finish marks the monitoring runs this writer wrote to as FINISHED, for a
// server that stops: readers then know its figures ended on purpose. It
// does nothing without [WithInstance] (the runs are shared then). Call it
// after [Writer.Drain].
func (wr *Writer) Finish(ctx context.Context) error {
	if wr.opts.instance == "" {
		return nil
	}
	wr.mu.Lock()
	defer wr.mu.Unlock()
	end := mlflowrest.Int64(time.Now().UnixMilli())
	var errs []error
	for k, r := range wr.runs {
		if err := wr.c.Post(ctx, "runs/update", mlflowrest.UpdateRunRequest{RunID: r.id, Status: "FINISHED", EndTime: &end}, nil); err != nil {
			errs = append(errs, fmt.Errorf("finishing the monitoring run of %s version %s: %w", k.model, k.version, err))
		}
	}
	return errors.Join(errs...)
}
