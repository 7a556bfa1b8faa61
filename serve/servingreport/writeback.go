package servingreport

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/drift/writeback"
)

// Config says what is written back, and where.
type Config struct {
	Registry   *mlflowrest.Client // nil: nothing is written back
	Registered map[string]string  // served name -> registered model name, for the models:/ models
	Drift      bool               // write closed drift windows back (--drift with --drift-writeback)
	// DriftPeriod > 0 merges the drift of a version's replicas over
	// wall-clock periods this long (--drift-period): periods' counts are
	// uploaded and merged MergeGrace after each period's end (0: the
	// writeback package's default), and only merged verdicts tag the
	// version. 0: each replica tags the version with its own windows.
	DriftPeriod time.Duration
	MergeGrace  time.Duration
	Interval    time.Duration // serving reports every this long (0: none)
	Webhook     string        // told of drift status changes ("": none)
	Instance    string        // this server in the monitoring runs (host:port)
	Logger      *slog.Logger  // nil: discard
}

// Writeback is what berth serve writes back to the registry.
type Writeback struct {
	cfg    Config
	writer *writeback.Writer // nil: nothing is written back
}

// New sets up the writer that records the drift windows and serving
// reports of registered models. Nothing is written back when there is no
// registry or no registered model (a directory has no version to tag), or
// when both drift windows and reports are off.
func New(cfg Config) *Writeback {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	wb := &Writeback{cfg: cfg}
	if cfg.Registry == nil || len(cfg.Registered) == 0 || (!cfg.Drift && cfg.Interval <= 0) {
		return wb
	}
	wopts := []writeback.Option{writeback.WithLogger(cfg.Logger), writeback.WithInstance(cfg.Instance)}
	if cfg.Webhook != "" {
		wopts = append(wopts, writeback.WithWebhook(cfg.Webhook))
	}
	if cfg.Drift && cfg.DriftPeriod > 0 {
		wopts = append(wopts, writeback.WithMerge(cfg.MergeGrace))
	}
	wb.writer = writeback.New(cfg.Registry, wopts...)
	return wb
}

// Listener returns the drift listener that queues the closed windows of
// registered models (for serve.WithDriftListener), or nil when drift
// windows are not written back.
func (wb *Writeback) Listener() func(model, version string, w drift.WindowResult) {
	if wb.writer == nil || !wb.cfg.Drift {
		return nil
	}
	return func(model, version string, w drift.WindowResult) {
		if name, ok := wb.cfg.Registered[model]; ok {
			wb.writer.Enqueue(name, version, w)
		}
	}
}

// PeriodListener returns the listener that queues each drift period's
// counts of registered models for merging (for serve.WithDriftPeriods),
// or nil when drift is not merged.
func (wb *Writeback) PeriodListener() func(model, version string, p drift.PeriodResult) {
	if wb.writer == nil || !wb.cfg.Drift || wb.cfg.DriftPeriod <= 0 {
		return nil
	}
	return func(model, version string, p drift.PeriodResult) {
		if name, ok := wb.cfg.Registered[model]; ok {
			wb.writer.EnqueuePeriod(name, version, p)
		}
	}
}

// Start runs the writer and, every Config.Interval, the serving reports
// of s. The function it returns, called once the server has stopped
// serving, reports the last partial interval, writes what is still queued
// and marks this process's monitoring runs FINISHED, within 10 s. With
// nothing to write back, Start does nothing.
func (wb *Writeback) Start(s Source) (stop func()) {
	if wb.writer == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { wb.writer.Run(ctx) })
	var rep *Reporter
	if wb.cfg.Interval > 0 {
		rep = NewReporter(s, wb.writer.EnqueueServing, wb.cfg.Registered, time.Now())
		wg.Go(func() { rep.Run(ctx, wb.cfg.Interval) })
	}
	return func() {
		cancel()
		wg.Wait()
		if rep != nil {
			rep.Report(time.Now())
		}
		if f, ok := s.(interface{ FlushDriftPeriods() }); ok && wb.PeriodListener() != nil {
			f.FlushDriftPeriods() // queues the partial periods, written below
		}
		flush, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		log := wb.cfg.Logger
		if n := wb.writer.Drain(flush); n > 0 {
			log.Warn("write-back: left unwritten at shutdown", "queued", n)
		}
		if err := wb.writer.Finish(flush); err != nil {
			log.Warn("write-back: finishing the monitoring runs", "error", err)
		}
	}
}
