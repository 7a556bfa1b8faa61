package serve

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/internal/servingusage"
)

// Metrics are the Prometheus series of a scoring server, namespace berth.
// Labels stay low-cardinality: model and version come from the models the
// server was started with, protocol is one of a fixed few, code is the HTTP
// status.
type Metrics struct {
	requests      *prometheus.CounterVec
	requestTime   *prometheus.HistogramVec
	inferenceTime *prometheus.HistogramVec
	inFlight      *prometheus.GaugeVec
	loadTime      *prometheus.GaugeVec
	info          *prometheus.GaugeVec
	ready         *prometheus.GaugeVec
	batchSize     *prometheus.HistogramVec
	queueTime     *prometheus.HistogramVec
	queueDepth    *prometheus.GaugeVec
	bodyTimeouts  prometheus.Counter
	drift         *driftMetrics
	usage         usageCounters // what Server.Usage reads, counted with requests and requestTime
}

// latencyBuckets span 100µs to 10s: small ONNX models answer in well under a
// millisecond, large ones and big batches take seconds.
var latencyBuckets = servingusage.Buckets

// NewMetrics creates the server's metrics and registers them with reg. A nil
// reg leaves them unregistered (useful in tests that do not scrape).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "berth",
			Name:      "requests_total",
			Help:      "Scoring requests answered, by model, version, protocol and HTTP status code.",
		}, []string{"model", "version", "protocol", "code"}),
		requestTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "berth",
			Name:      "request_duration_seconds",
			Help:      "Time from receiving a scoring request to writing its answer, including decoding and encoding.",
			Buckets:   latencyBuckets,
		}, []string{"model", "version", "protocol"}),
		inferenceTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "berth",
			Name:      "inference_duration_seconds",
			Help:      "Time spent running the model, per request; with dynamic batching, from joining the queue to the batch's answer.",
			Buckets:   latencyBuckets,
		}, []string{"model", "version"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "berth",
			Name:      "requests_in_flight",
			Help:      "Scoring requests being handled now.",
		}, []string{"model", "version"}),
		loadTime: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "berth",
			Name:      "model_load_duration_seconds",
			Help:      "Time it took to load the model and run its warm-up inference.",
		}, []string{"model", "version"}),
		info: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "berth",
			Name:      "model_info",
			Help:      "Always 1 for each model served, with its flavor, source and signature kind as labels.",
		}, []string{"model", "version", "flavor", "source", "signature"}),
		ready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "berth",
			Name:      "model_ready",
			Help:      "1 when the model is loaded, warmed up and accepting requests, else 0.",
		}, []string{"model", "version"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "berth",
			Name:      "batch_size",
			Help:      "Rows per model run when dynamic batching is on.",
			Buckets:   []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}, []string{"model", "version"}),
		queueTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "berth",
			Name:      "batch_queue_duration_seconds",
			Help:      "Time a request waited in the batching queue before its run started.",
			Buckets:   latencyBuckets,
		}, []string{"model", "version"}),
		queueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "berth",
			Name:      "batch_queue_depth",
			Help:      "Requests waiting in the batching queue.",
		}, []string{"model", "version"}),
		bodyTimeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "berth",
			Name:      "http_request_body_timeouts_total",
			Help:      "Requests answered 408 because their body did not arrive within --body-timeout.",
		}),
		drift: newDriftMetrics(),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.requestTime, m.inferenceTime, m.inFlight, m.loadTime, m.info, m.ready,
			m.batchSize, m.queueTime, m.queueDepth, m.bodyTimeouts)
		reg.MustRegister(m.drift.collectors()...)
	}
	return m
}

// observers are one model's metric children, looked up once when the model
// is added rather than on every request.
type observers struct {
	inference prometheus.Observer
	inFlight  prometheus.Gauge
	protocol  map[string]protocolObservers
	usage     *servingusage.Counter
}

type protocolObservers struct {
	ok       prometheus.Counter // requests answered 200; other codes are looked up
	duration prometheus.Observer
}

func (m *Metrics) observersFor(model, version string) observers {
	o := observers{
		inference: m.inferenceTime.WithLabelValues(model, version),
		inFlight:  m.inFlight.WithLabelValues(model, version),
		protocol:  map[string]protocolObservers{},
		usage:     m.usage.get(model, version),
	}
	for _, p := range []string{protoMLflow, protoV2, protoV1} {
		o.protocol[p] = protocolObservers{
			ok:       m.requests.WithLabelValues(model, version, p, "200"),
			duration: m.requestTime.WithLabelValues(model, version, p),
		}
	}
	return o
}
