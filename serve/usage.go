package serve

import (
	"math"
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

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

// Usage returns what each model version known to the request metrics has
// served, sorted by model and version. It reads the metrics' collectors,
// so it costs nothing on the request path; requests that named no served
// model are left out.
func (s *Server) Usage() []Usage {
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.metrics.requests, s.metrics.requestTime)
	families, err := reg.Gather()
	if err != nil {
		s.opts.logger.Warn("gathering the request metrics", "error", err)
	}
	type key struct{ model, version string }
	byKey := map[key]*Usage{}
	get := func(m *dto.Metric) *Usage {
		var k key
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "model":
				k.model = l.GetValue()
			case "version":
				k.version = l.GetValue()
			}
		}
		if k.model == "" {
			return nil
		}
		u, ok := byKey[k]
		if !ok {
			u = &Usage{Model: k.model, Version: k.version}
			byKey[k] = u
		}
		return u
	}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			switch {
			case m.Counter != nil:
				u := get(m)
				if u == nil {
					continue
				}
				n := int64(m.GetCounter().GetValue())
				u.Requests += n
				for _, l := range m.GetLabel() {
					if l.GetName() != "code" {
						continue
					}
					switch c := l.GetValue(); {
					case len(c) == 3 && c[0] == '4':
						u.ClientErrors += n
					case len(c) == 3 && c[0] == '5':
						u.ServerErrors += n
					}
				}
			case m.Histogram != nil:
				u := get(m)
				if u == nil {
					continue
				}
				h := m.GetHistogram()
				u.Sum += h.GetSampleSum()
				u.Count += int64(h.GetSampleCount())
				if u.Bounds == nil {
					u.Bounds = make([]float64, 0, len(h.GetBucket()))
					for _, b := range h.GetBucket() {
						u.Bounds = append(u.Bounds, b.GetUpperBound())
					}
					u.Counts = make([]int64, len(u.Bounds))
				}
				for i, b := range h.GetBucket() {
					if i < len(u.Counts) {
						u.Counts[i] += int64(b.GetCumulativeCount())
					}
				}
			}
		}
	}
	out := make([]Usage, 0, len(byKey))
	for _, u := range byKey {
		if u.Bounds == nil {
			u.Bounds = append([]float64(nil), latencyBuckets...)
			u.Counts = make([]int64, len(u.Bounds))
		}
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Model != out[j].Model {
			return out[i].Model < out[j].Model
		}
		return out[i].Version < out[j].Version
	})
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
