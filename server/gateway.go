package server

import (
	"encoding/json"
	"net/http"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/internal/httpguard"
)

// WithGateway mounts an LLM gateway beside the tracking server, as MLflow
// 3 does: requests that match answers (package gateway's Mount: its
// Deployments and OpenAI-compatible routes, and the tracking server's
// /ajax-api/2.0/mlflow/gateway-proxy) go to h, everything else to the
// tracking server. The Host check and body deadline apply to both. The
// server's tokens (WithTokens) guard the gateway's routes too — reading the
// endpoint list needs a read token, calling an endpoint a write token —
// unless WithGatewayOwnAuth says the gateway checks keys of its own.
// Default: no gateway; those paths answer 404.
func WithGateway(h http.Handler, match func(*http.Request) bool) Option {
	return func(o *options) { o.gateway, o.gatewayMatch = h, match }
}

// WithGatewayOwnAuth says the mounted gateway authenticates its callers
// itself (gateway keys), so the server's tokens are not asked of them: a
// client sends one bearer credential, the gateway key. Default: off.
func WithGatewayOwnAuth() Option { return func(o *options) { o.gatewayOwnAuth = true } }

// GatewayInfoPath is the prefix of the web UI's gateway routes (package
// gateway's InfoPath).
const GatewayInfoPath = "/ajax-api/2.0/berth/gateway"

// WithGatewayInfo serves GET GatewayInfoPath/... (the gateway's endpoints
// and keys for the web UI's gateway page, package gateway's InfoHandler)
// with h, as a tracking route: a read token is needed when tokens are set,
// whatever WithGatewayOwnAuth says. Default: none; those paths answer 404.
func WithGatewayInfo(h http.Handler) Option { return func(o *options) { o.gatewayInfo = h } }

// gatewaySplit sends the gateway's requests to the gateway.
type gatewaySplit struct {
	gateway, server http.Handler
	match           func(*http.Request) bool
	s               *Server
}

func (g gatewaySplit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.match(r) {
		g.server.ServeHTTP(w, r)
		return
	}
	if g.s.tokensSet() && !g.s.opts.gatewayOwnAuth {
		if err := g.s.gatewayAccess(r); err != nil {
			status, code := httpStatus(err)
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="berth"`)
			}
			body, _ := json.Marshal(mlflowrest.ErrorResponse{ErrorCode: code, Message: err.Error()})
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(body)
			return
		}
	}
	g.gateway.ServeHTTP(w, r)
}

// gatewayAccess is authorize's rule for the gateway's routes: listing
// endpoints reads, calling one (it spends the provider's money) writes.
func (s *Server) gatewayAccess(r *http.Request) error {
	got, ok := httpguard.Bearer(r)
	write := ok && anyEqual(got, s.opts.writeTokens)
	read := write || (ok && anyEqual(got, s.opts.readTokens))
	switch {
	case !read:
		return errUnauthenticated
	case r.Method != http.MethodGet && r.Method != http.MethodHead && !write:
		return errReadOnly
	}
	return nil
}
