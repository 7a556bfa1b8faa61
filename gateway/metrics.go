package gateway

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the gateway's Prometheus metrics, namespace berth, labelled
// by endpoint and provider (never by key or anything secret). A nil
// *Metrics records nothing.
type Metrics struct {
	requests   *prometheus.CounterVec
	errors     *prometheus.CounterVec
	tokens     *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	firstToken *prometheus.HistogramVec
	overhead   *prometheus.HistogramVec
}

// NewMetrics registers the gateway's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "berth", Subsystem: "gateway", Name: "requests_total",
			Help: "Queries answered, by endpoint, provider and HTTP status."}, []string{"endpoint", "provider", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "berth", Subsystem: "gateway", Name: "errors_total",
			Help: "Failed queries, by class: client, limit, denied, upstream, unreachable, timeout, bad_response, circuit_open, guard, internal."},
			[]string{"endpoint", "provider", "class"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "berth", Subsystem: "gateway", Name: "tokens_total",
			Help: "Tokens, by direction: input (prompt) and output (completion)."}, []string{"endpoint", "provider", "direction"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "berth", Subsystem: "gateway", Name: "request_duration_seconds",
			Help: "Time from a query's arrival to its answer's end.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}, []string{"endpoint", "provider"}),
		firstToken: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "berth", Subsystem: "gateway", Name: "time_to_first_token_seconds",
			Help: "Time from a streamed query's arrival to its first chunk.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}, []string{"endpoint", "provider"}),
		overhead: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "berth", Subsystem: "gateway", Name: "overhead_seconds",
			Help:    "Time the gateway itself added to a query (total minus upstream calls and retry waits).",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 14)}, []string{"endpoint", "provider"}),
	}
	reg.MustRegister(m.requests, m.errors, m.tokens, m.latency, m.firstToken, m.overhead)
	return m
}

func (m *Metrics) observeError(endpoint, provider, class string) {
	if m == nil {
		return
	}
	m.errors.WithLabelValues(endpoint, provider, class).Inc()
}

func (m *Metrics) observeOverhead(endpoint, provider string, d time.Duration) {
	if m == nil || endpoint == "" {
		return
	}
	m.overhead.WithLabelValues(endpoint, provider).Observe(d.Seconds())
}

func (m *Metrics) observeFirstToken(endpoint, provider string, d time.Duration) {
	if m == nil || endpoint == "" {
		return
	}
	m.firstToken.WithLabelValues(endpoint, provider).Observe(d.Seconds())
}

func (m *Metrics) observeQuery(c *call, u Usage) {
	if m == nil {
		return
	}
	code := "200"
	if u.Err != nil {
		code = strconv.Itoa(answerFor(u.Err, nil).status)
	}
	m.requests.WithLabelValues(u.Endpoint, c.ep.cfg.Provider, code).Inc()
	m.latency.WithLabelValues(u.Endpoint, c.ep.cfg.Provider).Observe(u.Duration.Seconds())
	if u.InputTokens > 0 {
		m.tokens.WithLabelValues(u.Endpoint, c.ep.cfg.Provider, "input").Add(float64(u.InputTokens))
	}
	if u.OutputTokens > 0 {
		m.tokens.WithLabelValues(u.Endpoint, c.ep.cfg.Provider, "output").Add(float64(u.OutputTokens))
	}
}
