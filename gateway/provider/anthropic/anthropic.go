// Package anthropic is the gateway's adapter for Anthropic's Messages API
// (https://docs.anthropic.com/en/api/messages). Chat goes to /v1/messages
// as MLflow's Anthropic provider sends it: system messages joined into
// "system", temperature halved (MLflow's range is 0–2, Anthropic's 0–1),
// max_tokens defaulting to 8192, n only 1, stop as stop_sequences.
// Completions also go to /v1/messages, the prompt as one user message
// (MLflow calls the retired /v1/complete API, which current models do not
// serve). OpenAI tools, tool calls and tool results are translated both
// ways; streamed events become OpenAI chat chunks. No embeddings.
//
// model.config settings:
//
//	anthropic_api_key   the key (secret: $ENV_VAR, a file path, or the literal); required
//	anthropic_version   the anthropic-version header; default 2023-06-01
//	anthropic_api_base  berth's addition: the API's base URL; default https://api.anthropic.com/v1
package anthropic

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// Name is MLflow's name for this provider.
const Name = "anthropic"

// Defaults, as MLflow's.
const (
	DefaultBase      = "https://api.anthropic.com/v1"
	DefaultVersion   = "2023-06-01"
	DefaultMaxTokens = 8192
	MaximumMaxTokens = 1_000_000
)

func init() {
	provider.Register(provider.Spec{Name: Name, New: New, SecretFields: []string{"anthropic_api_key"},
		RequiredFields: []string{"anthropic_api_key"}, EndpointTypes: []string{deployments.TypeChat, deployments.TypeCompletions}})
}

// Provider calls Anthropic for one endpoint.
type Provider struct {
	provider.Unsupported
	up      upstream.Caller
	model   string
	key     string
	version string
	url     string
}

var _ provider.Provider = (*Provider)(nil)

// New builds the adapter from an endpoint's model config.
func New(cfg provider.Config) (provider.Provider, error) {
	p := &Provider{
		Unsupported: provider.Unsupported{Provider: Name},
		up:          upstream.Caller{Provider: Name, Client: cfg.HTTPClient, Now: cfg.Now},
		model:       cfg.Model,
		key:         cfg.String("anthropic_api_key"),
		version:     cfg.String("anthropic_version"),
	}
	if p.key == "" {
		return nil, fmt.Errorf("anthropic_api_key is empty")
	}
	if p.version == "" {
		p.version = DefaultVersion
	}
	base := strings.TrimRight(cfg.String("anthropic_api_base"), "/")
	if base == "" {
		base = DefaultBase
	}
	p.url = base + "/messages"
	return p, nil
}

func (p *Provider) header(h http.Header) {
	h.Set("x-api-key", p.key)
	h.Set("anthropic-version", p.version)
}
