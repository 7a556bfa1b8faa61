// Package mistral is the gateway's adapter for Mistral AI's API
// (https://docs.mistral.ai/api/), which speaks OpenAI's chat and embeddings
// shapes. As MLflow's Mistral provider: chat is the client's request with
// the configured model, passed through to /v1/chat/completions;
// completions go there too, the prompt as one user message, without stop
// and n, temperature halved (MLflow's range is 0–2, Mistral's 0–1);
// embeddings pass through to /v1/embeddings.
//
// model.config settings:
//
//	mistral_api_key   the key (secret: $ENV_VAR, a file path, or the literal); required
//	mistral_api_base  berth's addition: the API's base URL; default https://api.mistral.ai/v1
package mistral

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// Name is MLflow's name for this provider.
const Name = "mistral"

// DefaultBase is where Mistral's API lives.
const DefaultBase = "https://api.mistral.ai/v1"

func init() {
	provider.Register(provider.Spec{Name: Name, New: New, SecretFields: []string{"mistral_api_key"}, RequiredFields: []string{"mistral_api_key"}})
}

// Provider calls Mistral for one endpoint.
type Provider struct {
	up            upstream.Caller
	model         string
	header        func(http.Header)
	chatURL, eURL string
}

var _ provider.Provider = (*Provider)(nil)

// New builds the adapter from an endpoint's model config.
func New(cfg provider.Config) (provider.Provider, error) {
	key := cfg.String("mistral_api_key")
	if key == "" {
		return nil, fmt.Errorf("mistral_api_key is empty")
	}
	base := strings.TrimRight(cfg.String("mistral_api_base"), "/")
	if base == "" {
		base = DefaultBase
	}
	return &Provider{up: upstream.Caller{Provider: Name, Client: cfg.HTTPClient, Now: cfg.Now}, model: cfg.Model,
		header: upstream.Bearer(key), chatURL: base + "/chat/completions", eURL: base + "/embeddings"}, nil
}

func (p *Provider) chatBody(req *deployments.ChatRequest, stream bool) deployments.ChatRequest {
	r := *req
	r.Model = p.model
	r.Stream = nil
	if stream {
		r.Stream = deployments.Ptr(true)
	}
	return r
}

// Chat calls /chat/completions.
func (p *Provider) Chat(ctx context.Context, req *deployments.ChatRequest) (*deployments.ChatResponse, error) {
	return p.up.OpenAIChat(ctx, p.chatURL, p.header, p.chatBody(req, false))
}

// ChatStream calls /chat/completions with stream set.
func (p *Provider) ChatStream(ctx context.Context, req *deployments.ChatRequest, fn func(*deployments.ChatChunk) error) error {
	return p.up.OpenAIChatStream(ctx, p.chatURL, p.header, p.chatBody(req, true), fn)
}

// completionsAsChat is MLflow's completions_to_model: the prompt as one
// user message, stop and n dropped, temperature halved.
func (p *Provider) completionsAsChat(req *deployments.CompletionsRequest, stream bool) deployments.ChatRequest {
	r := deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", req.Prompt)},
		MaxTokens: req.MaxTokens, Extra: req.Extra}
	if req.Temperature != nil {
		r.Temperature = deployments.Ptr(0.5 * *req.Temperature)
	}
	return p.chatBody(&r, stream)
}

// Completions calls /chat/completions with the prompt as one user message.
func (p *Provider) Completions(ctx context.Context, req *deployments.CompletionsRequest) (*deployments.CompletionsResponse, error) {
	r, err := p.up.OpenAIChat(ctx, p.chatURL, p.header, p.completionsAsChat(req, false))
	if err != nil {
		return nil, err
	}
	out := upstream.ChatAsCompletions(r)
	out.Model = p.model
	return out, nil
}

// CompletionsStream streams /chat/completions as completions chunks.
func (p *Provider) CompletionsStream(ctx context.Context, req *deployments.CompletionsRequest, fn func(*deployments.CompletionsChunk) error) error {
	return p.up.OpenAIChatStream(ctx, p.chatURL, p.header, p.completionsAsChat(req, true), func(ch *deployments.ChatChunk) error {
		return fn(upstream.ChunkAsCompletions(ch))
	})
}

// Embeddings calls /embeddings with the configured model.
func (p *Provider) Embeddings(ctx context.Context, req *deployments.EmbeddingsRequest) (*deployments.EmbeddingsResponse, error) {
	r := *req
	r.Model = p.model
	out, err := p.up.OpenAIEmbeddings(ctx, p.eURL, p.header, r)
	if err != nil {
		return nil, err
	}
	out.Model = p.model
	return out, nil
}
