// Package gemini is the gateway's adapter for Google's Gemini API
// (https://ai.google.dev/api). As MLflow's Gemini provider: chat and
// completions go to models/{model}:generateContent (streams to
// :streamGenerateContent?alt=sse), OpenAI's parameters renamed into
// generationConfig (stop → stopSequences, n → candidateCount, max_tokens →
// maxOutputTokens, top_p → topP, top_k → topK, frequency_penalty,
// presence_penalty), system messages as system_instruction, assistant as
// role "model", tools as functionDeclarations, tool calls and results as
// functionCall / functionResponse parts; embeddings go to :embedContent
// (one input) or :batchEmbedContents. The key is sent in x-goog-api-key.
//
// model.config settings:
//
//	gemini_api_key   the key (secret: $ENV_VAR, a file path, or the literal); required
//	gemini_api_base  berth's addition: the models URL; default https://generativelanguage.googleapis.com/v1beta/models
package gemini

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// Name is MLflow's name for this provider.
const Name = "gemini"

// DefaultBase is where Gemini's models live.
const DefaultBase = "https://generativelanguage.googleapis.com/v1beta/models"

func init() {
	provider.Register(provider.Spec{Name: Name, New: New, SecretFields: []string{"gemini_api_key"}, RequiredFields: []string{"gemini_api_key"}})
}

// Provider calls Gemini for one endpoint.
type Provider struct {
	up    upstream.Caller
	model string
	key   string
	base  string // base + "/" + model
}

// New builds the adapter from an endpoint's model config.
func New(cfg provider.Config) (provider.Provider, error) {
	key := cfg.String("gemini_api_key")
	if key == "" {
		return nil, fmt.Errorf("gemini_api_key is empty")
	}
	if cfg.Model == "" {
		return nil, fmt.Errorf("model.name is required for the gemini provider")
	}
	base := strings.TrimRight(cfg.String("gemini_api_base"), "/")
	if base == "" {
		base = DefaultBase
	}
	return &Provider{up: upstream.Caller{Provider: Name, Client: cfg.HTTPClient, Now: cfg.Now}, model: cfg.Model, key: key,
		base: base + "/" + url.PathEscape(cfg.Model)}, nil
}

func (p *Provider) header(h http.Header) { h.Set("x-goog-api-key", p.key) }
