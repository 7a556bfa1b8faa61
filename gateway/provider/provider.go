// Package provider is the seam between berth's gateway and the LLM services
// behind it: the Provider interface every adapter implements, the typed
// *Error they return, and a registry of adapter constructors by MLflow's
// provider name ("openai", "anthropic", "mlflow-model-serving", ...).
//
// Adapters live in subpackages (gateway/provider/openai, ...) and register
// themselves in init; gateway/provider/builtin blank-imports the built-in
// set. The gateway hands a constructor the endpoint's model.config with its
// secret fields already resolved ($ENV_VAR, file path or literal, as MLflow
// does): adapters never read the environment or files for keys, and never
// put a key in an error, a log line or a metric.
package provider

import (
	"context"

	"github.com/berthml/berth/api/deployments"
)

// Provider answers an endpoint's queries by calling one upstream service.
// The requests it gets are validated already; their Model field is the
// endpoint's name or empty, never the upstream model (that is in the
// Config the provider was built with). A Provider is safe for concurrent
// use.
//
// A method that the provider does not offer returns an *Error of
// KindUnsupported (embed Unsupported to get those for free).
//
// The streaming methods call fn with each chunk, in order, from the
// calling goroutine; an error from fn stops the stream and is returned.
// They return when the upstream stream ends, or with ctx's error when ctx
// ends (the upstream call is cancelled then).
type Provider interface {
	Chat(ctx context.Context, req *deployments.ChatRequest) (*deployments.ChatResponse, error)
	ChatStream(ctx context.Context, req *deployments.ChatRequest, fn func(*deployments.ChatChunk) error) error
	Completions(ctx context.Context, req *deployments.CompletionsRequest) (*deployments.CompletionsResponse, error)
	CompletionsStream(ctx context.Context, req *deployments.CompletionsRequest, fn func(*deployments.CompletionsChunk) error) error
	Embeddings(ctx context.Context, req *deployments.EmbeddingsRequest) (*deployments.EmbeddingsResponse, error)
}

// Unsupported implements every Provider method as an *Error of
// KindUnsupported. Embed it in an adapter and override what it offers.
type Unsupported struct {
	Provider string // the provider's name, for the error
}

func (u Unsupported) unsupported(what string) error {
	return &Error{Provider: u.Provider, Kind: KindUnsupported, Message: "the provider does not offer " + what}
}

// Chat returns an *Error of KindUnsupported.
func (u Unsupported) Chat(context.Context, *deployments.ChatRequest) (*deployments.ChatResponse, error) {
	return nil, u.unsupported("chat")
}

// ChatStream returns an *Error of KindUnsupported.
func (u Unsupported) ChatStream(context.Context, *deployments.ChatRequest, func(*deployments.ChatChunk) error) error {
	return u.unsupported("streamed chat")
}

// Completions returns an *Error of KindUnsupported.
func (u Unsupported) Completions(context.Context, *deployments.CompletionsRequest) (*deployments.CompletionsResponse, error) {
	return nil, u.unsupported("completions")
}

// CompletionsStream returns an *Error of KindUnsupported.
func (u Unsupported) CompletionsStream(context.Context, *deployments.CompletionsRequest, func(*deployments.CompletionsChunk) error) error {
	return u.unsupported("streamed completions")
}

// Embeddings returns an *Error of KindUnsupported.
func (u Unsupported) Embeddings(context.Context, *deployments.EmbeddingsRequest) (*deployments.EmbeddingsResponse, error) {
	return nil, u.unsupported("embeddings")
}

var _ Provider = Unsupported{}
