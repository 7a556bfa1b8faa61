package server

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/berthml/berth/tracing"
)

// metrics are the registry server's Prometheus series, namespace berth.
// The route label is gin's route template (…/runs/log-metric, …/artifacts/*path),
// so it stays bounded whatever clients send.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// bodyTimeouts has the same name on both of berth's servers.
	bodyTimeouts prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "berth", Subsystem: "registry", Name: "requests_total",
			Help: "Tracking and registry API requests answered, by route, method and HTTP status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "berth", Subsystem: "registry", Name: "request_duration_seconds",
			Help:    "Time to answer a tracking or registry API request.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "method"}),
		bodyTimeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "berth", Subsystem: "http", Name: "request_body_timeouts_total",
			Help: "Requests answered 408 because their body did not arrive within --body-timeout.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.bodyTimeouts)
	return m
}

// observe records one request after it is answered.
func (m *metrics) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
	m.duration.WithLabelValues(route, c.Request.Method).Observe(time.Since(start).Seconds())
}

// WithMetrics registers the server's metrics with reg and serves what g
// gathers at GET /metrics. Default: no metrics.
func WithMetrics(reg prometheus.Registerer, g prometheus.Gatherer) Option {
	return func(o *options) { o.registerer, o.gatherer = reg, g }
}

func metricsHandler(g prometheus.Gatherer) gin.HandlerFunc {
	return gin.WrapH(promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
}

// registerSpanBatchMetrics counts OTLP span writes: requests, spans and the
// transactions that stored them (requests per transaction is how well
// concurrent one-span requests are gathered).
func registerSpanBatchMetrics(reg prometheus.Registerer, b *tracing.Batcher) {
	counter := func(name, help string, v func(tracing.BatchStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "berth", Subsystem: "traces", Name: name, Help: help},
			func() float64 { return float64(v(b.Stats())) })
	}
	reg.MustRegister(
		counter("span_write_requests_total", "OTLP span write requests stored or refused.", func(s tracing.BatchStats) uint64 { return s.Calls }),
		counter("spans_written_total", "Spans in OTLP span write requests stored or refused.", func(s tracing.BatchStats) uint64 { return s.Spans }),
		counter("span_write_transactions_total", "Store transactions that wrote OTLP span write requests, gathered.", func(s tracing.BatchStats) uint64 { return s.Writes }),
	)
}
