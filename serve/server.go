package serve

import (
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/internal/httpguard"
)

// Server answers MLflow's scoring protocol, the Open Inference Protocol v2
// and KServe's V1 protocol for one or more models, and exposes Prometheus
// metrics.
type Server struct {
	opts    options
	metrics *Metrics
	engine  *gin.Engine
	handler http.Handler // engine behind the request guards

	mu       sync.RWMutex
	models   map[string]*Model
	order    []string // names in the order they were added
	fallback string   // the model /invocations goes to
	ready    atomic.Bool
	bodies   *httpguard.Budget // the body budget (bodies.go): nil for none
}

type options struct {
	logger          *slog.Logger
	accessLog       *slog.Logger
	registerer      prometheus.Registerer
	gatherer        prometheus.Gatherer
	bodyLimit       int64
	bodyBudget      int64
	bodyTimeout     time.Duration
	responseLimit   int64
	allowedHosts    []string
	timeout         time.Duration
	shutdownTimeout time.Duration
	token           string
	defaultModel    string
	drift           bool
	driftOpts       []drift.MonitorOption
	driftListeners  []func(model, version string, w drift.WindowResult)
	driftPeriod     time.Duration // WithDriftPeriods
	periodListeners []func(model, version string, p drift.PeriodResult)
	requestLog      *RequestLog
	batch           BatchConfig
	modelBatch      map[string]BatchConfig
	maxRuns         int
}

// Option configures a Server.
type Option func(*options)

// WithLogger sets the server's logger. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithAccessLog logs one line per request to l. Default: no access log.
func WithAccessLog(l *slog.Logger) Option { return func(o *options) { o.accessLog = l } }

// WithRegistry registers the server's metrics with reg and serves what g
// gathers at /metrics. Default: a fresh registry with the Go and process
// collectors.
func WithRegistry(reg prometheus.Registerer, g prometheus.Gatherer) Option {
	return func(o *options) { o.registerer, o.gatherer = reg, g }
}

// WithBodyLimit caps request bodies at n bytes; larger ones get 413.
// Default: 100 MiB.
func WithBodyLimit(n int64) Option { return func(o *options) { o.bodyLimit = n } }

// WithBodyBudget bounds the memory the request bodies being read and
// decoded hold at once, across all requests: a body's bytes, and about 32
// bytes for each comma of a JSON or CSV body while it is decoded. A request
// that does not fit what is left gets 503 with Retry-After; one that could
// never fit gets 413. n <= 0: no bound. Default: [DefaultBodyBudget],
// 512 MiB.
func WithBodyBudget(n int64) Option { return func(o *options) { o.bodyBudget = n } }

// WithBodyTimeout answers 408 to a request whose body has not arrived
// within d of the request's headers, and counts it in
// berth_http_request_body_timeouts_total. Zero disables the deadline.
// Default: [httpguard.DefaultBodyTimeout] (60s).
func WithBodyTimeout(d time.Duration) Option { return func(o *options) { o.bodyTimeout = d } }

// WithResponseLimit caps scoring responses at n bytes: a request whose
// answer would be larger gets 413 and a message naming the limit. Zero
// disables the limit. Default: [DefaultResponseLimit] (100 MiB).
func WithResponseLimit(n int64) Option { return func(o *options) { o.responseLimit = n } }

// WithAllowedHosts answers 403 to requests whose Host header matches none
// of hosts (names or shell patterns, "*" for any; see
// [httpguard.AllowHosts]), except on the health routes. Default: no check
// (berth serve passes [httpguard.DefaultAllowedHosts] of its address).
func WithAllowedHosts(hosts []string) Option { return func(o *options) { o.allowedHosts = hosts } }

// WithTimeout answers 504 to a scoring request still running after d.
// Zero disables the limit. Default: 60s (MLflow's gunicorn timeout).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithShutdownTimeout bounds how long a graceful shutdown waits for requests
// in flight. Default: 30s.
func WithShutdownTimeout(d time.Duration) Option { return func(o *options) { o.shutdownTimeout = d } }

// WithToken requires "Authorization: Bearer token" (the scheme in any
// case) on scoring, model and drift routes. The health routes, /version,
// /v2 and /metrics stay open. Default: no token.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithDefaultModel names the model that /invocations scores. Default: the
// first model added.
func WithDefaultModel(name string) Option { return func(o *options) { o.defaultModel = name } }

// New returns a server with no models; add them with Add and call
// MarkReady once they are all loaded.
func New(opts ...Option) *Server {
	o := options{
		bodyLimit:       100 << 20,
		bodyBudget:      DefaultBodyBudget,
		bodyTimeout:     httpguard.DefaultBodyTimeout,
		responseLimit:   DefaultResponseLimit,
		timeout:         60 * time.Second,
		shutdownTimeout: 30 * time.Second,
		drift:           true,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.registerer == nil {
		reg := prometheus.NewRegistry()
		reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
		o.registerer, o.gatherer = reg, reg
	}
	s := &Server{opts: o, metrics: NewMetrics(o.registerer), models: map[string]*Model{}, bodies: httpguard.NewBudget(o.bodyBudget)}
	if o.requestLog != nil && o.registerer != nil {
		o.registerer.MustRegister(o.requestLog.collectors()...)
	}
	s.engine = s.routes()
	s.handler = httpguard.Server(s.engine, o.allowedHosts, healthRoutes, o.bodyTimeout, func(*http.Request) { s.metrics.bodyTimeouts.Inc() })
	return s
}

// healthRoutes answer under any Host: load balancers and orchestrators
// probe them by address.
var healthRoutes = []string{"/ping", "/health", "/v2/health/live", "/v2/health/ready"}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Add serves m under m.Name, replacing a model of the same name: requests
// in flight finish on the model they started with, which is closed once
// the last of them is done.
func (s *Server) Add(m *Model) {
	m.obs = s.metrics.observersFor(m.Name, m.Version)
	s.startDrift(m)
	s.startBatching(m)
	s.mu.Lock()
	old, replaced := s.models[m.Name]
	s.models[m.Name] = m
	if !replaced {
		s.order = append(s.order, m.Name)
	}
	if s.fallback == "" && (s.opts.defaultModel == "" || s.opts.defaultModel == m.Name) {
		s.fallback = m.Name
	}
	s.mu.Unlock()

	if replaced {
		if old.Version != m.Version {
			s.metrics.info.DeletePartialMatch(prometheus.Labels{"model": old.Name, "version": old.Version})
			s.metrics.ready.DeleteLabelValues(old.Name, old.Version)
			s.metrics.drift.forget(old.Name, old.Version)
			for _, v := range []interface{ DeleteLabelValues(...string) bool }{s.metrics.batchSize, s.metrics.queueTime, s.metrics.queueDepth} {
				v.DeleteLabelValues(old.Name, old.Version)
			}
		}
		s.opts.logger.Info("model replaced", "model", m.Name, "old_version", old.Version, "version", m.Version)
		old.retire()
	}
	s.metrics.loadTime.WithLabelValues(m.Name, m.Version).Set(m.LoadTime.Seconds())
	s.metrics.info.WithLabelValues(m.Name, m.Version, m.Flavor, m.Source, m.signatureKind()).Set(1)
	s.metrics.ready.WithLabelValues(m.Name, m.Version).Set(1)
}

// MarkReady makes the health routes answer 200: call it once every model
// given at start-up is loaded and warmed up.
func (s *Server) MarkReady() { s.ready.Store(true) }

// Ready reports whether MarkReady was called.
func (s *Server) Ready() bool { return s.ready.Load() }

// Models returns the served models in the order they were added.
func (s *Server) Models() []*Model {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ms := make([]*Model, 0, len(s.order))
	for _, n := range s.order {
		ms = append(ms, s.models[n])
	}
	return ms
}

// Close releases every model's runtime resources.
func (s *Server) Close() error {
	var first error
	for _, m := range s.Models() {
		if err := m.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// model finds a served model by name and, when version is not empty, by
// version; name "" is the default model. The caller must release it.
func (s *Server) model(name, version string) (*Model, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if name == "" {
		name = s.fallback
	}
	m, ok := s.models[name]
	if !ok || (version != "" && version != m.Version) {
		served := make([]string, 0, len(s.models))
		for n := range s.models {
			served = append(served, n)
		}
		sort.Strings(served)
		if !s.ready.Load() && len(served) == 0 {
			return nil, ErrNotReady
		}
		return nil, &ModelNotFoundError{Name: name, Version: version, Served: served}
	}
	m.acquire()
	return m, nil
}

// metricsHandler serves the gathered metrics.
func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.opts.gatherer, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.opts.logger.Handler(), slog.LevelError)})
}
