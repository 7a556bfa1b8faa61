// Package servingusage is the plain count of what a scoring server
// answered, per model version: requests, errors and a latency histogram.
// The server updates a [Counter] where it updates its Prometheus series;
// serving reports read the counts, never the metrics (client_golang's
// testutil package doc says why).
package servingusage

import (
	"math"
	"sort"
	"sync/atomic"
)

// Buckets are the latency histogram's upper bounds in seconds, the
// berth_request_duration_seconds buckets: 100µs to 10s.
var Buckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Usage is what one model version has served since the server started
// (cumulative).
type Usage struct {
	Model, Version string
	Requests       int64 // answered, any status, all protocols
	ClientErrors   int64 // 4xx answers
	ServerErrors   int64 // 5xx answers
	// Bounds are the latency histogram's upper bounds in seconds; Counts
	// the cumulative count of requests at or under each bound (Prometheus
	// style), one per bound.
	Bounds []float64
	Counts []int64
	Count  int64   // requests whose time was observed (the histogram's count, slower ones included)
	Sum    float64 // total request seconds
}

// Counter is the plain count of what one model version served, kept
// beside its Prometheus series and updated at the same point: serving
// reports read it, never the metrics (client_golang's testutil doc says
// why). Safe for concurrent use.
type Counter struct {
	requests, clientErrors, serverErrors atomic.Int64
	buckets                              []atomic.Int64 // per bucket of Buckets, not cumulative, and one past the last bound; made on first use
	sumBits                              atomic.Uint64  // float64 seconds
}

// NewCounter returns a zero counter.
func NewCounter() *Counter {
	return &Counter{buckets: make([]atomic.Int64, len(Buckets)+1)}
}

// Observe counts one answer with status code that took seconds.
func (u *Counter) Observe(code int, seconds float64) {
	u.requests.Add(1)
	switch code / 100 {
	case 4:
		u.clientErrors.Add(1)
	case 5:
		u.serverErrors.Add(1)
	}
	u.buckets[sort.SearchFloat64s(Buckets, seconds)].Add(1)
	for {
		old := u.sumBits.Load()
		if u.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+seconds)) {
			return
		}
	}
}

// Usage returns the counts as a Usage of model and version.
func (u *Counter) Usage(model, version string) Usage {
	out := Usage{Model: model, Version: version,
		Requests: u.requests.Load(), ClientErrors: u.clientErrors.Load(), ServerErrors: u.serverErrors.Load(),
		Bounds: append([]float64(nil), Buckets...), Counts: make([]int64, len(Buckets)),
		Sum: math.Float64frombits(u.sumBits.Load())}
	for i := range u.buckets {
		out.Count += u.buckets[i].Load()
		if i < len(out.Counts) {
			out.Counts[i] = out.Count
		}
	}
	return out
}

// Since returns what u served after prev, field by field; prev may be the
// zero Usage.
func (u Usage) Since(prev Usage) Usage {
	d := Usage{
		Model: u.Model, Version: u.Version,
		Requests:     u.Requests - prev.Requests,
		ClientErrors: u.ClientErrors - prev.ClientErrors,
		ServerErrors: u.ServerErrors - prev.ServerErrors,
		Bounds:       append([]float64(nil), u.Bounds...),
		Counts:       make([]int64, len(u.Counts)),
		Count:        u.Count - prev.Count,
		Sum:          u.Sum - prev.Sum,
	}
	for i, c := range u.Counts {
		d.Counts[i] = c
		if i < len(prev.Counts) {
			d.Counts[i] -= prev.Counts[i]
		}
	}
	return d
}

// Add returns u and o summed field by field (a registered version served
// under two names); Bounds are u's, or o's when u has none.
func (u Usage) Add(o Usage) Usage {
	sum := Usage{Model: u.Model, Version: u.Version,
		Requests: u.Requests + o.Requests, ClientErrors: u.ClientErrors + o.ClientErrors,
		ServerErrors: u.ServerErrors + o.ServerErrors, Count: u.Count + o.Count, Sum: u.Sum + o.Sum}
	sum.Bounds = append([]float64(nil), u.Bounds...)
	if sum.Bounds == nil {
		sum.Bounds = append([]float64(nil), o.Bounds...)
	}
	sum.Counts = make([]int64, len(sum.Bounds))
	for i := range sum.Counts {
		if i < len(u.Counts) {
			sum.Counts[i] += u.Counts[i]
		}
		if i < len(o.Counts) {
			sum.Counts[i] += o.Counts[i]
		}
	}
	return sum
}

// Quantile estimates the q-quantile (0 ≤ q ≤ 1) of the request latency in
// seconds the way Prometheus's histogram_quantile does: by linear
// interpolation within the bucket the rank falls in, the first bucket
// starting at 0. A rank past the last bound gives the last bound; no
// observations give NaN.
func (u Usage) Quantile(q float64) float64 {
	if len(u.Counts) == 0 || len(u.Bounds) == 0 {
		return math.NaN()
	}
	// Answers slower than the last bound are in Count but in none of
	// Counts. (Requests is another collector, gathered apart and counted
	// a moment before the time is observed: it can be ahead.)
	total := u.Count
	if total <= 0 || math.IsNaN(q) {
		return math.NaN()
	}
	if q < 0 {
		return math.Inf(-1)
	}
	if q > 1 {
		return math.Inf(1)
	}
	rank := q * float64(total)
	n := min(len(u.Bounds), len(u.Counts))
	i := sort.Search(n, func(i int) bool { return float64(u.Counts[i]) >= rank })
	if i >= n {
		return u.Bounds[n-1]
	}
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = u.Bounds[i-1], float64(u.Counts[i-1])
	}
	inBucket := float64(u.Counts[i]) - below
	if inBucket <= 0 {
		return u.Bounds[i]
	}
	return lower + (u.Bounds[i]-lower)*(rank-below)/inBucket
}
