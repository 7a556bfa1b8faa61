package registry

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/internal/httpserve"
	"github.com/berthml/berth/tracking"
)

// Server is an MLflow tracking and model-registry server.
type Server struct {
	store     tracking.Store
	artifacts ArtifactStore
	opts      options
	engine    *gin.Engine
}

type options struct {
	logger          *slog.Logger
	accessLog       *slog.Logger
	bodyLimit       int64
	artifactLimit   int64
	shutdownTimeout time.Duration
	version         string
	readTokens      []string
	writeTokens     []string
	registerer      prometheus.Registerer
	gatherer        prometheus.Gatherer
	ui              http.Handler
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

// WithArtifactLimit caps artifact uploads at n bytes; larger ones get 413.
// Zero means no limit. Default: no limit (models can be large).
func WithArtifactLimit(n int64) Option { return func(o *options) { o.artifactLimit = n } }

// WithShutdownTimeout bounds how long a graceful shutdown waits for requests
// in flight. Default: 30s.
func WithShutdownTimeout(d time.Duration) Option { return func(o *options) { o.shutdownTimeout = d } }

// WithTokens requires a bearer token on every route but /health and
// /version: reading (GET) takes one of read or write, anything else one of
// write. With neither (the default) the server is open, like MLflow's.
func WithTokens(read, write []string) Option {
	return func(o *options) { o.readTokens, o.writeTokens = read, write }
}

// WithUI serves a web UI with h: GET / and GET /static/..., answered
// without a token even when WithTokens is set (the UI's own API calls carry
// one). Default: no UI; / answers 404.
func WithUI(h http.Handler) Option { return func(o *options) { o.ui = h } }

// WithVersion sets what GET /version answers. Default: "2.17.2", the MLflow
// version whose REST API the server speaks.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// New returns a server on store that keeps artifacts in artifacts. Runs
// created through it get artifact URIs under mlflow-artifacts:/, which the
// server itself proxies, so store should have been opened with the artifact
// root "mlflow-artifacts:/".
func New(store tracking.Store, artifacts ArtifactStore, opts ...Option) *Server {
	o := options{bodyLimit: 64 << 20, shutdownTimeout: 30 * time.Second, version: "2.17.2"}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: store, artifacts: artifacts, opts: o}
	s.engine = s.routes()
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Serve answers requests on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting connections and waits up to the shutdown
// timeout for requests in flight to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return httpserve.Serve(ctx, ln, s.Handler(), s.opts.shutdownTimeout, s.opts.logger)
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
