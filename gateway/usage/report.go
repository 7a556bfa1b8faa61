package usage

import (
	"context"
	"math"
	"time"

	"github.com/berthml/berth/gateway/keys"
)

// Window is what an endpoint, or one key on it, used over one interval.
type Window struct {
	Requests, ClientErrors, ServerErrors int64
	InputTokens, OutputTokens            int64
	Cost                                 keys.Spend
	LatencyMean, LatencyP50, LatencyP95  float64 // seconds; NaN without requests
}

// Report is one endpoint's usage over one interval, with its keys'.
type Report struct {
	Endpoint   string
	Step       int64 // 1 for this process's first report of the endpoint
	Start, End time.Time
	Window
	Keys map[string]Window // by key name; keys that have called the endpoint, idle ones included
}

// window turns what was used in an interval into a Window.
func window(d Totals) Window {
	w := Window{Requests: d.Serving.Requests, ClientErrors: d.Serving.ClientErrors, ServerErrors: d.Serving.ServerErrors,
		InputTokens: d.InputTokens, OutputTokens: d.OutputTokens, Cost: d.Cost,
		LatencyMean: math.NaN(), LatencyP50: math.NaN(), LatencyP95: math.NaN()}
	if d.Serving.Count > 0 {
		w.LatencyMean = d.Serving.Sum / float64(d.Serving.Count)
		w.LatencyP50, w.LatencyP95 = d.Serving.Quantile(0.5), d.Serving.Quantile(0.95)
	}
	return w
}

// Reporter turns a Counter's counts into one Report per endpoint per
// interval, from the endpoint's first query on (idle intervals included,
// as serving reports are). Not safe for concurrent use: one goroutine runs
// it.
type Reporter struct {
	c       *Counter
	enqueue func(Report) bool // Writer.Enqueue
	last    time.Time
	prev    map[cellKey]Totals
	steps   map[string]int64
}

// NewReporter returns a reporter of c's counts that queues each report with
// enqueue ([Writer.Enqueue]); the first interval starts at start.
func NewReporter(c *Counter, enqueue func(Report) bool, start time.Time) *Reporter {
	return &Reporter{c: c, enqueue: enqueue, last: start, prev: map[cellKey]Totals{}, steps: map[string]int64{}}
}

// Run reports every interval until ctx is done, then reports the last
// partial interval.
func (r *Reporter) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.Report(time.Now())
			return
		case now := <-t.C:
			r.Report(now)
		}
	}
}

// Report queues what each endpoint used since the previous report.
func (r *Reporter) Report(now time.Time) {
	var cur *Report
	flush := func() {
		if cur != nil {
			r.enqueue(*cur)
			cur = nil
		}
	}
	for _, t := range r.c.Totals() { // an endpoint's total first, then its keys
		k := cellKey{t.Endpoint, t.Key}
		d := t.Since(r.prev[k])
		r.prev[k] = t
		if t.Key == "" {
			flush()
			r.steps[t.Endpoint]++
			cur = &Report{Endpoint: t.Endpoint, Step: r.steps[t.Endpoint], Start: r.last, End: now, Window: window(d)}
			continue
		}
		if cur != nil && cur.Endpoint == t.Endpoint {
			if cur.Keys == nil {
				cur.Keys = map[string]Window{}
			}
			cur.Keys[t.Key] = window(d)
		}
	}
	flush()
	r.last = now
}
