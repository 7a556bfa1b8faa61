package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/internal/httpguard"
	"github.com/berthml/berth/internal/httpserve"
	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking"
)

// Server is an MLflow tracking and model-registry server.
type Server struct {
	store     tracking.Store
	artifacts ArtifactStore
	opts      options
	engine    *gin.Engine
	handler   http.Handler      // engine behind the Host check and body deadline
	table     []route           // every route, see routeTable
	access    map[string]Access // "METHOD /path template" → access class
	metrics   *metrics          // nil without WithMetrics
	hooks     *hooks            // webhooks: nil when the store keeps none (webhooks.go)
	spans     *tracing.Batcher  // OTLP span writes gathered per transaction: nil when the store keeps no traces
	bodies    *httpguard.Budget // the body budget (bodies.go): nil for none
}

type options struct {
	logger          *slog.Logger
	accessLog       *slog.Logger
	bodyLimit       int64
	bodyBudget      int64
	artifactLimit   int64
	shutdownTimeout time.Duration
	version         string
	readTokens      []string
	writeTokens     []string
	registerer      prometheus.Registerer
	gatherer        prometheus.Gatherer
	ui              http.Handler
	bodyTimeout     time.Duration
	allowedHosts    []string
	metricsOpen     bool
	webhooks        webhookConfig
	gateway         http.Handler             // WithGateway (gateway.go)
	gatewayMatch    func(*http.Request) bool // which requests go to gateway
	gatewayOwnAuth  bool                     // WithGatewayOwnAuth: the gateway checks its own keys
	gatewayInfo     http.Handler             // WithGatewayInfo: the UI's gateway page data
	noServeArts     bool                     // WithoutArtifactServing (artifacts.go)
}

// Option configures a Server.
type Option func(*options)

// WithLogger sets the server's logger. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithAccessLog logs one line per request to l. Default: no access log.
func WithAccessLog(l *slog.Logger) Option { return func(o *options) { o.accessLog = l } }

// WithBodyLimit caps JSON request bodies at n bytes; larger ones get 413.
// Default: 64 MiB.
func WithBodyLimit(n int64) Option { return func(o *options) { o.bodyLimit = n } }

// WithBodyBudget bounds the memory the request bodies being read and
// decoded hold at once, across all requests: a body's bytes, and about 256
// bytes for each JSON value in it once decoded. A request that does not fit
// what is left gets 503 with Retry-After (MLflow's client retries it); one
// that could never fit gets 413. n <= 0: no bound. Default:
// [DefaultBodyBudget], 256 MiB.
func WithBodyBudget(n int64) Option { return func(o *options) { o.bodyBudget = n } }

// WithArtifactLimit caps artifact uploads at n bytes; larger ones get 413
// REQUEST_LIMIT_EXCEEDED. Uploads are streamed to disk, never held in
// memory. Zero means no limit. Default: no limit.
func WithArtifactLimit(n int64) Option { return func(o *options) { o.artifactLimit = n } }

// WithShutdownTimeout bounds how long a graceful shutdown waits for requests
// in flight. Default: 30s.
func WithShutdownTimeout(d time.Duration) Option { return func(o *options) { o.shutdownTimeout = d } }

// WithTokens requires a bearer token on every route but the open ones
// (/health, /version, the UI's files; see Routes): routes that only read,
// whatever their method, take one of read or write, routes that change
// something one of write. With neither (the default) the server is open,
// like MLflow's.
func WithTokens(read, write []string) Option {
	return func(o *options) { o.readTokens, o.writeTokens = read, write }
}

// WithUI serves a web UI with h: GET / and GET /static/..., answered
// without a token even when WithTokens is set (the UI's own API calls carry
// one). Default: no UI; / answers 404.
func WithUI(h http.Handler) Option { return func(o *options) { o.ui = h } }

// WithBodyTimeout gives a client d to send a request body once its
// headers have arrived; past it the request is answered 408 and counted in
// berth_http_request_body_timeouts_total. Zero or less: no deadline.
// Default: httpguard.DefaultBodyTimeout (60s).
func WithBodyTimeout(d time.Duration) Option { return func(o *options) { o.bodyTimeout = d } }

// WithAllowedHosts answers 403 to requests whose Host header matches none
// of hosts (see httpguard.AllowHosts), except /health and /version, so that
// a web page cannot reach the server through DNS rebinding. Empty: no
// check. Default: no check.
func WithAllowedHosts(hosts []string) Option { return func(o *options) { o.allowedHosts = hosts } }

// WithOpenMetrics serves GET /metrics without a token even when WithTokens
// is set. Default: /metrics needs a read token when tokens are set.
func WithOpenMetrics() Option { return func(o *options) { o.metricsOpen = true } }

// DefaultVersion is the MLflow version berth's tracking server reports:
// the newest whose client it was tested against (3.6; MLflow 2.17's client
// ignores the answer).
const DefaultVersion = "3.6.0"

// WithVersion sets what GET /version answers. Default: [DefaultVersion].
// MLflow 3 clients pick their trace path from it: from 3.4 on they export
// spans over OTLP, which berth stores and searches (span.* filters).
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// New returns a server on store that keeps artifacts in artifacts. Runs
// created through it get artifact URIs under mlflow-artifacts:/, which the
// server itself proxies, so store should have been opened with the artifact
// root "mlflow-artifacts:/".
func New(store tracking.Store, artifacts ArtifactStore, opts ...Option) *Server {
	o := options{bodyLimit: 64 << 20, bodyBudget: DefaultBodyBudget, shutdownTimeout: 30 * time.Second, version: DefaultVersion,
		bodyTimeout: httpguard.DefaultBodyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: store, artifacts: artifacts, opts: o, bodies: httpguard.NewBudget(o.bodyBudget)}
	s.hooks = s.newHooks()
	if ts, ok := store.(tracing.Store); ok {
		s.spans = tracing.NewBatcher(ts)
	}
	if o.registerer != nil {
		s.metrics = newMetrics(o.registerer)
		if s.spans != nil {
			registerSpanBatchMetrics(o.registerer, s.spans)
		}
	}
	s.engine = s.routes()
	var inner http.Handler = s.engine
	if o.gateway != nil && o.gatewayMatch != nil {
		inner = gatewaySplit{gateway: o.gateway, server: s.engine, match: o.gatewayMatch, s: s}
	}
	s.handler = httpguard.Server(inner, o.allowedHosts, []string{"/health", "/version"}, o.bodyTimeout, s.bodyTimedOut)
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// bodyTimedOut counts a request cut off by the body deadline.
func (s *Server) bodyTimedOut(*http.Request) {
	if s.metrics != nil {
		s.metrics.bodyTimeouts.Inc()
	}
}

// Serve answers requests on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting connections and waits up to the shutdown
// timeout for requests in flight to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	err := httpserve.Serve(ctx, ln, s.Handler(), s.opts.shutdownTimeout, s.opts.logger)
	// Then the webhook deliveries still queued, within the same bound.
	drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.shutdownTimeout)
	defer cancel()
	if herr := s.hooks.close(drain); herr != nil {
		s.opts.logger.Warn("webhook deliveries abandoned at shutdown", "error", herr)
	}
	return err
}

// handler is an API handler: it returns the response message, encoded as
// MLflow's pretty-printed JSON, or an error for httpStatus.
type handler func(c *gin.Context) (any, error)

// api adapts a handler to gin.
func (s *Server) api(h handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		resp, err := h(c)
		if err != nil {
			s.writeError(c, err)
			return
		}
		if resp == nil {
			resp = struct{}{}
		}
		body, err := json.MarshalIndent(resp, "", "  ")
		if err != nil {
			s.writeError(c, err)
			return
		}
		c.Data(http.StatusOK, "application/json", body)
	}
}
