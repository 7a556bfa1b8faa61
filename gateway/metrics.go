package gateway

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the gateway's Prometheus metrics, namespace berth, labelled
// by endpoint and provider, and the per-key families
// (berth_gateway_key_*) labelled by the gateway key's public name — never
// by a secret. A nil *Metrics records nothing.
//
// Key labels are bounded: keys are created by an administrator, and past
// the first MaxKeyLabels names this process has seen (DefaultMaxKeyLabels
// unless WithMaxKeyLabels) every other key is counted under the name
// "other".
type Metrics struct {
	requests   *prometheus.CounterVec
	errors     *prometheus.CounterVec
	tokens     *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	firstToken *prometheus.HistogramVec
	overhead   *prometheus.HistogramVec

	keyRequests *prometheus.CounterVec
	keyErrors   *prometheus.CounterVec
	keyTokens   *prometheus.CounterVec
	keys        *KeyLabels
}

// DefaultMaxKeyLabels is how many gateway key names the per-key metrics
// label by before counting the rest as "other".
const DefaultMaxKeyLabels = 100

// OtherKey is the key label of the keys past the label cap.
const OtherKey = "other"

// MetricsOption configures NewMetrics.
type MetricsOption func(*Metrics)

// WithMaxKeyLabels sets how many key names the per-key metrics label by
// (at least 1). Default: DefaultMaxKeyLabels.
func WithMaxKeyLabels(n int) MetricsOption { return func(m *Metrics) { m.keys = NewKeyLabels(n) } }

// KeyLabels hands out bounded labels for gateway keys: a key's own name
// while fewer than its cap of names are in use, OtherKey after. Safe for
// concurrent use; a known name costs one read lock.
type KeyLabels struct {
	max  int
	mu   sync.RWMutex
	seen map[string]struct{}
}

// NewKeyLabels returns labels capped at n names (at least 1).
func NewKeyLabels(n int) *KeyLabels {
	return &KeyLabels{max: max(n, 1), seen: map[string]struct{}{}}
}

// Label returns name, or OtherKey once the cap is reached by other names.
func (k *KeyLabels) Label(name string) string {
	k.mu.RLock()
	_, ok := k.seen[name]
	n := len(k.seen)
	k.mu.RUnlock()
	if ok {
		return name
	}
	if n >= k.max {
		return OtherKey
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.seen[name]; ok || len(k.seen) < k.max {
		k.seen[name] = struct{}{}
		return name
	}
	return OtherKey
}

// NewMetrics registers the gateway's metrics with reg.
func NewMetrics(reg prometheus.Registerer, opts ...MetricsOption) *Metrics {
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
	m.keyRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "berth", Subsystem: "gateway", Name: "key_requests_total",
		Help: "Queries that came with a gateway key, by the key's name (\"other\" past the label cap), endpoint and HTTP status."},
		[]string{"key", "endpoint", "code"})
	m.keyErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "berth", Subsystem: "gateway", Name: "key_errors_total",
		Help: "Failed queries that came with a gateway key, by key, endpoint and class (as errors_total; cancelled: the client went away)."},
		[]string{"key", "endpoint", "class"})
	m.keyTokens = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "berth", Subsystem: "gateway", Name: "key_tokens_total",
		Help: "Tokens used by a gateway key's queries, by key, endpoint and direction (input, output)."},
		[]string{"key", "endpoint", "direction"})
	m.keys = NewKeyLabels(DefaultMaxKeyLabels)
	for _, o := range opts {
		o(m)
	}
	reg.MustRegister(m.requests, m.errors, m.tokens, m.latency, m.firstToken, m.overhead, m.keyRequests, m.keyErrors, m.keyTokens)
	return m
}

func (m *Metrics) observeError(endpoint, provider, class string) {
	if m == nil {
		return
	}
	m.errors.WithLabelValues(endpoint, provider, class).Inc()
}

// endpointMetrics are one endpoint's children of the per-endpoint
// families, each looked up by its labels on its first use and kept, so a
// query costs no label hashing or vector lock (a child appears in the
// exposition only once it has counted something, as before).
type endpointMetrics struct {
	ok, tokensIn, tokensOut       lazy[prometheus.Counter]
	latency, firstToken, overhead lazy[prometheus.Observer]
}

// lazy is a value made on first use; two goroutines racing to make it
// both get the same metric child (WithLabelValues is idempotent).
type lazy[T any] struct{ p atomic.Pointer[T] }

func (l *lazy[T]) get(mk func() T) T {
	if v := l.p.Load(); v != nil {
		return *v
	}
	v := mk()
	l.p.Store(&v)
	return v
}

func (m *Metrics) observeOverhead(ep *endpoint, d time.Duration) {
	if m == nil || ep == nil {
		return
	}
	ep.metrics.overhead.get(func() prometheus.Observer {
		return m.overhead.WithLabelValues(ep.cfg.Name, ep.cfg.Provider)
	}).Observe(d.Seconds())
}

func (m *Metrics) observeFirstToken(ep *endpoint, d time.Duration) {
	if m == nil || ep == nil {
		return
	}
	ep.metrics.firstToken.get(func() prometheus.Observer {
		return m.firstToken.WithLabelValues(ep.cfg.Name, ep.cfg.Provider)
	}).Observe(d.Seconds())
}

// observeQuery counts an ended query to c.ep (u.Endpoint is its name).
func (m *Metrics) observeQuery(c *call, u Usage) {
	if m == nil {
		return
	}
	ep, prov := c.ep, c.ep.cfg.Provider
	em := &ep.metrics
	code := "200"
	if u.Status == http.StatusOK {
		em.ok.get(func() prometheus.Counter { return m.requests.WithLabelValues(u.Endpoint, prov, code) }).Inc()
	} else {
		code = strconv.Itoa(u.Status)
		m.requests.WithLabelValues(u.Endpoint, prov, code).Inc()
	}
	em.latency.get(func() prometheus.Observer { return m.latency.WithLabelValues(u.Endpoint, prov) }).Observe(u.Duration.Seconds())
	if u.InputTokens > 0 {
		em.tokensIn.get(func() prometheus.Counter { return m.tokens.WithLabelValues(u.Endpoint, prov, "input") }).Add(float64(u.InputTokens))
	}
	if u.OutputTokens > 0 {
		em.tokensOut.get(func() prometheus.Counter { return m.tokens.WithLabelValues(u.Endpoint, prov, "output") }).Add(float64(u.OutputTokens))
	}
	if u.Key == "" {
		return
	}
	key := m.keys.Label(u.Key)
	m.keyRequests.WithLabelValues(key, u.Endpoint, code).Inc()
	if c.class != "" {
		m.keyErrors.WithLabelValues(key, u.Endpoint, c.class).Inc()
	}
	if u.InputTokens > 0 {
		m.keyTokens.WithLabelValues(key, u.Endpoint, "input").Add(float64(u.InputTokens))
	}
	if u.OutputTokens > 0 {
		m.keyTokens.WithLabelValues(key, u.Endpoint, "output").Add(float64(u.OutputTokens))
	}
}
