package main

import (
	"fmt"
	"slices"
	"time"
)

// quantileSteps is how finely each turn's latency distribution is kept: its
// quantiles at the midpoints of quantileSteps equal steps (0.05%, 0.15%, …,
// 99.95% for 1000). wrk computes them from its own histogram at the end of
// a turn; merging the turns' points, each weighted by its turn's requests,
// gives the cell's percentiles to within one step.
const quantileSteps = 1000

// sample is what one turn, or a cell's merged turns, measured.
type sample struct {
	requests int64         // completed requests, any status
	elapsed  time.Duration // how long the load ran
	errors   int64         // non-2xx/3xx answers, socket errors and timeouts
	// points are latency quantiles in µs, each standing for weight
	// requests; for a single turn, quantileSteps of them in order.
	points []point
	// cpu is the CPU time (user + system) the target's process spent
	// during the turns, unless cpuUnknown (a turn could not read it);
	// clientCPU is wrk's.
	cpu, clientCPU time.Duration
	cpuUnknown     bool
}

type point struct {
	us     float64
	weight float64
}

func (s sample) rps() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.requests) / s.elapsed.Seconds()
}

// add merges t into s: requests and time add up, and t's quantile points
// join s's.
func (s *sample) add(t sample) {
	s.requests += t.requests
	s.elapsed += t.elapsed
	s.errors += t.errors
	s.points = append(s.points, t.points...)
	s.cpuUnknown = s.cpuUnknown || t.cpuUnknown
	s.cpu += t.cpu
	s.clientCPU += t.clientCPU
}

// cpuPerRequest is the target's CPU time per request (per row for bare
// ONNX Runtime's batches), when known.
func (s sample) cpuPerRequest() (time.Duration, bool) {
	if s.cpuUnknown || s.requests == 0 {
		return 0, false
	}
	return s.cpu / time.Duration(s.requests), true
}

// percentile is the p-th percentile (0–100) of the merged distribution.
func (s sample) percentile(p float64) time.Duration {
	if len(s.points) == 0 {
		return 0
	}
	ps := slices.Clone(s.points)
	slices.SortFunc(ps, func(a, b point) int {
		switch {
		case a.us < b.us:
			return -1
		case a.us > b.us:
			return 1
		}
		return 0
	})
	var total float64
	for _, q := range ps {
		total += q.weight
	}
	rank, cum := p/100*total, 0.0
	for _, q := range ps {
		cum += q.weight
		if cum >= rank {
			return time.Duration(q.us * float64(time.Microsecond))
		}
	}
	return time.Duration(ps[len(ps)-1].us * float64(time.Microsecond))
}

// quantileAt is the percentile (0–100) of grid point i.
func quantileAt(i int) float64 {
	return 100 * (float64(i) + 0.5) / quantileSteps
}

// fromLatencies builds a turn's sample from every request's latency (the
// in-process target records them all).
func fromLatencies(lat []time.Duration, elapsed time.Duration, errors int64) sample {
	s := sample{requests: int64(len(lat)), elapsed: elapsed, errors: errors}
	if len(lat) == 0 {
		return s
	}
	slices.Sort(lat)
	w := float64(len(lat)) / quantileSteps
	for i := range quantileSteps {
		// The same rank rule as wrk's stats_percentile.
		k := int(quantileAt(i)/100*float64(len(lat)) + 0.5)
		k = min(max(k, 1), len(lat)) - 1
		s.points = append(s.points, point{us: float64(lat[k]) / float64(time.Microsecond), weight: w})
	}
	return s
}

func (s sample) String() string {
	return fmt.Sprintf("%d requests in %s (%.0f/s), %d errors, p50 %s, p99 %s",
		s.requests, s.elapsed.Round(time.Millisecond), s.rps(), s.errors, s.percentile(50), s.percentile(99))
}
