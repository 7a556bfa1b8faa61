package gateway

import "time"

// CallTrace is one sampled query as a Tracer gets it, once the query has
// ended: enough for an MLflow trace of it (package gateway/gatewaytrace).
type CallTrace struct {
	Endpoint     string // the endpoint asked for (a route's pick)
	EndpointType string // llm/v1/chat, llm/v1/completions, llm/v1/embeddings
	Provider     string // the provider that answered ("" when none did)
	Model        string // the upstream model that answered
	Path         string // the route called, e.g. /v1/chat/completions
	Start, End   time.Time
	// Request is the validated request (*deployments.ChatRequest,
	// *deployments.CompletionsRequest or *deployments.EmbeddingsRequest);
	// Response the unary answer (*deployments.ChatResponse, ...), nil for
	// a stream or a failure. Neither changes once Trace has them.
	Request, Response any
	Stream            bool
	InputTokens       int
	OutputTokens      int
	Error             string // the failure, provider keys redacted; "" when it answered
}

// Tracer is handed the queries it samples. Sample is asked once per query
// before its upstream call; Trace gets the sampled query when it has
// ended and must not block (queue it, drop it when full): it runs on the
// query's own goroutine, after the answer was written.
type Tracer interface {
	Sample() bool
	Trace(CallTrace)
}

// WithTracer sets the Tracer of sampled queries. Default: none, nothing
// traced.
func WithTracer(t Tracer) Option { return func(o *options) { o.tracer = t } }
