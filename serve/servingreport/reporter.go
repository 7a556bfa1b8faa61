package servingreport

import (
	"context"
	"math"
	"time"

	"github.com/berthml/berth/drift/writeback"
	"github.com/berthml/berth/internal/servingusage"
)

// Source is what a reporter reads of a scoring server.
type Source interface {
	// Serving returns the version each served name answers with now.
	Serving() map[string]string
	// Usage returns what each served name and version has answered since
	// the server started.
	Usage() []servingusage.Usage
}

// Reporter turns what a server served into serving reports of registered
// versions, one per version per interval.
type Reporter struct {
	s          Source
	enqueue    func(model, version string, w writeback.ServingWindow) bool // Writer.EnqueueServing
	registered map[string]string                                           // served name -> registered name
	last       time.Time                                                   // the previous report's time
	prev       map[versionKey]*reported
}

// versionKey is a registered model version.
type versionKey struct{ name, version string }

// reported is what was last reported of a registered version.
type reported struct {
	usage servingusage.Usage
	step  int64
}

// NewReporter returns a reporter of the models s serves under the names
// in registered (served name -> registered model name), queueing each
// report with enqueue ([writeback.Writer.EnqueueServing]); the first
// interval starts at start.
func NewReporter(s Source, enqueue func(model, version string, w writeback.ServingWindow) bool,
	registered map[string]string, start time.Time) *Reporter {
	return &Reporter{s: s, enqueue: enqueue, registered: registered, last: start, prev: map[versionKey]*reported{}}
}

// Run reports every interval until ctx is done.
func (r *Reporter) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.Report(now)
		}
	}
}

// Report queues what each registered version served since the previous
// report. A version is reported from its first request on, idle intervals
// included; one no longer served only while it still answers. Versions
// served under several names are summed.
func (r *Reporter) Report(now time.Time) {
	served := map[versionKey]bool{}
	for model, version := range r.s.Serving() {
		if name, ok := r.registered[model]; ok {
			served[versionKey{name, version}] = true
		}
	}
	total := map[versionKey]servingusage.Usage{}
	for _, u := range r.s.Usage() {
		if name, ok := r.registered[u.Model]; ok {
			k := versionKey{name, u.Version}
			total[k] = total[k].Add(u)
		}
	}
	for k, u := range total {
		p := r.prev[k]
		if p == nil {
			p = &reported{}
			r.prev[k] = p
		}
		d := u.Since(p.usage)
		if u.Requests > 0 && (served[k] || d.Requests > 0) {
			p.step++
			r.enqueue(k.name, k.version, Window(d, p.step, r.last, now))
		}
		p.usage = u
	}
	r.last = now
}

// Window is the serving report of d, what a version served from start to
// end: NaN latencies when no request's time was observed.
func Window(d servingusage.Usage, step int64, start, end time.Time) writeback.ServingWindow {
	w := writeback.ServingWindow{Step: step, Start: start, End: end, Requests: d.Requests,
		ClientErrors: d.ClientErrors, ServerErrors: d.ServerErrors,
		LatencyMean: math.NaN(), LatencyP50: math.NaN(), LatencyP95: math.NaN(), LatencyP99: math.NaN()}
	if d.Count > 0 {
		w.LatencyMean = d.Sum / float64(d.Count)
		w.LatencyP50, w.LatencyP95, w.LatencyP99 = d.Quantile(0.5), d.Quantile(0.95), d.Quantile(0.99)
	}
	return w
}
