package server

import "net/http"

// WithGateway mounts an LLM gateway beside the tracking server, as MLflow
// 3 does: requests that match answers (package gateway's Mount: its
// Deployments and OpenAI-compatible routes, and the tracking server's
// /ajax-api/2.0/mlflow/gateway-proxy) go to h, everything else to the
// tracking server. The Host check and body deadline apply to both; the
// server's tokens do not (the gateway has its own keys, --gateway-keys).
// Default: no gateway; those paths answer 404.
func WithGateway(h http.Handler, match func(*http.Request) bool) Option {
	return func(o *options) { o.gateway, o.gatewayMatch = h, match }
}

// gatewaySplit sends the gateway's requests to the gateway.
type gatewaySplit struct {
	gateway, server http.Handler
	match           func(*http.Request) bool
}

func (g gatewaySplit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.match(r) {
		g.gateway.ServeHTTP(w, r)
		return
	}
	g.server.ServeHTTP(w, r)
}
