// Package openai is the gateway's adapter for OpenAI, Azure OpenAI and any
// server speaking OpenAI's API (vLLM, llama.cpp's server, Ollama, TGI's
// Messages API). It calls the upstream as MLflow 2.17's OpenAI provider
// does: chat to /chat/completions with temperature 0 and n 1 filled in
// when the client gave none; completions also to /chat/completions, the
// prompt as one user message; embeddings to /embeddings; every member the
// gateway does not know passed through unchanged.
//
// model.config settings (MLflow's names):
//
//	openai_api_key          the key (secret: $ENV_VAR, a file path, or the literal); required
//	openai_api_type         "openai" (default), "azure" (api-key header) or "azuread" (bearer token)
//	openai_api_base         default https://api.openai.com/v1; required for azure
//	openai_api_version      Azure's api-version query parameter; required for azure
//	openai_deployment_name  Azure's deployment; required for azure
//	openai_organization     sent as OpenAI-Organization
package openai

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
)

// Name is MLflow's name for this provider.
const Name = "openai"

func init() {
	for _, s := range []provider.Spec{
		{Name: Name, New: New, SecretFields: []string{"openai_api_key"}, RequiredFields: []string{"openai_api_key"}},
		// MLflow selects Azure with openai_api_type under provider
		// openai; MLflow 3 also names the providers themselves.
		{Name: "azure", New: newAzure("azure"), SecretFields: []string{"openai_api_key"}, RequiredFields: []string{"openai_api_key"}},
		{Name: "azuread", New: newAzure("azuread"), SecretFields: []string{"openai_api_key"}, RequiredFields: []string{"openai_api_key"}},
	} {
		provider.Register(s)
	}
}

// DefaultBase is where OpenAI's API lives.
const DefaultBase = "https://api.openai.com/v1"

// Provider calls one OpenAI-compatible upstream for one endpoint.
type Provider struct {
	name    string // the provider name the config used
	model   string
	key     string
	bearer  string // "Bearer " + key
	apiType string // openai, azure, azuread
	chatURL string
	embURL  string
	org     string
	client  *http.Client
	cfg     provider.Config
}

var _ provider.Provider = (*Provider)(nil)

func newAzure(apiType string) provider.Constructor {
	return func(cfg provider.Config) (provider.Provider, error) {
		if cfg.Settings == nil {
			cfg.Settings = map[string]any{}
		}
		if cfg.String("openai_api_type") == "" {
			s := make(map[string]any, len(cfg.Settings)+1)
			for k, v := range cfg.Settings {
				s[k] = v
			}
			s["openai_api_type"] = apiType
			cfg.Settings = s
		}
		return New(cfg)
	}
}

// New builds the adapter from an endpoint's model config.
func New(cfg provider.Config) (provider.Provider, error) {
	p := &Provider{
		name:    cfg.Provider,
		model:   cfg.Model,
		key:     cfg.String("openai_api_key"),
		apiType: strings.ToLower(cfg.String("openai_api_type")),
		org:     cfg.String("openai_organization"),
		client:  cfg.HTTPClient,
		cfg:     cfg,
	}
	if p.name == "" {
		p.name = Name
	}
	if p.apiType == "" {
		p.apiType = "openai"
	}
	if p.key == "" {
		return nil, fmt.Errorf("openai_api_key is empty")
	}
	p.bearer = "Bearer " + p.key
	base := strings.TrimRight(cfg.String("openai_api_base"), "/")
	switch p.apiType {
	case "openai":
		if base == "" {
			base = DefaultBase
		}
		p.chatURL, p.embURL = base+"/chat/completions", base+"/embeddings"
	case "azure", "azuread":
		version, deployment := cfg.String("openai_api_version"), cfg.String("openai_deployment_name")
		for k, v := range map[string]string{"openai_api_base": base, "openai_api_version": version, "openai_deployment_name": deployment} {
			if v == "" {
				return nil, fmt.Errorf("%s is required when openai_api_type is %s", k, p.apiType)
			}
		}
		d := base + "/openai/deployments/" + deployment
		q := "?api-version=" + version
		p.chatURL, p.embURL = d+"/chat/completions"+q, d+"/embeddings"+q
	default:
		return nil, fmt.Errorf("openai_api_type %q is not one of openai, azure, azuread", p.apiType)
	}
	return p, nil
}

// header sets the authentication headers on an upstream request (its
// keys in canonical form, set straight into the map, and the
// Authorization value made once: no allocation but the values' slices).
func (p *Provider) header(h http.Header) {
	h["Content-Type"] = []string{"application/json"}
	switch p.apiType {
	case "azure":
		h["Api-Key"] = []string{p.key}
	default:
		h["Authorization"] = []string{p.bearer}
	}
	if p.org != "" {
		h["Openai-Organization"] = []string{p.org}
	}
}

// chatBody is the upstream request for a chat: the client's request with
// the configured model and MLflow's defaults.
func (p *Provider) chatBody(req *deployments.ChatRequest, stream bool) deployments.ChatRequest {
	r := *req
	r.Model = p.model
	if r.Temperature == nil {
		r.Temperature = deployments.Ptr(0.0)
	}
	if r.N == nil {
		r.N = deployments.Ptr(1)
	}
	if stream {
		r.Stream = deployments.Ptr(true)
	} else {
		r.Stream = nil
	}
	return r
}

// completionsAsChat turns a completions request into the chat request
// MLflow sends for it.
func completionsAsChat(req *deployments.CompletionsRequest) *deployments.ChatRequest {
	return &deployments.ChatRequest{
		Messages:    []deployments.Message{deployments.TextMessage("user", req.Prompt)},
		Temperature: req.Temperature, N: req.N, Stop: req.Stop, MaxTokens: req.MaxTokens, Stream: req.Stream,
		Extra: req.Extra,
	}
}
