// Package togetherai is the gateway's adapter for Together AI's API
// (https://docs.together.ai/reference), OpenAI-shaped. As MLflow's
// TogetherAI provider: chat passes the client's request, with the
// configured model, to /v1/chat/completions; completions go to
// /v1/completions and need max_tokens, with OpenAI's top_logprobs renamed
// logprobs (an integer on Together AI); embeddings pass through to
// /v1/embeddings.
//
// model.config settings:
//
//	togetherai_api_key   the key (secret: $ENV_VAR, a file path, or the literal); required
//	togetherai_api_base  berth's addition: the API's base URL; default https://api.together.xyz/v1
package togetherai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// Name is MLflow's name for this provider.
const Name = "togetherai"

// DefaultBase is where Together AI's API lives.
const DefaultBase = "https://api.together.xyz/v1"

func init() {
	provider.Register(provider.Spec{Name: Name, New: New, SecretFields: []string{"togetherai_api_key"}, RequiredFields: []string{"togetherai_api_key"}})
}

// Provider calls Together AI for one endpoint.
type Provider struct {
	up                    upstream.Caller
	model                 string
	header                func(http.Header)
	chatURL, cURL, embURL string
}

var _ provider.Provider = (*Provider)(nil)

// New builds the adapter from an endpoint's model config.
func New(cfg provider.Config) (provider.Provider, error) {
	key := cfg.String("togetherai_api_key")
	if key == "" {
		return nil, fmt.Errorf("togetherai_api_key is empty")
	}
	base := strings.TrimRight(cfg.String("togetherai_api_base"), "/")
	if base == "" {
		base = DefaultBase
	}
	return &Provider{up: upstream.Caller{Provider: Name, Client: cfg.HTTPClient, Now: cfg.Now}, model: cfg.Model,
		header: upstream.Bearer(key), chatURL: base + "/chat/completions", cURL: base + "/completions", embURL: base + "/embeddings"}, nil
}

// logprobs applies MLflow's completions_to_model checks to extra: logprobs
// and top_logprobs must be integers; top_logprobs is sent as logprobs.
func (p *Provider) logprobs(extra deployments.Extra) (deployments.Extra, error) {
	for _, k := range []string{"logprobs", "top_logprobs"} {
		if raw, ok := extra[k]; ok {
			var n int32
			if json.Unmarshal(raw, &n) != nil {
				return nil, p.up.Invalid("Wrong type for %s. It should be an 32bit integer.", k)
			}
		}
	}
	raw, ok := extra["top_logprobs"]
	if !ok {
		return extra, nil
	}
	out := make(deployments.Extra, len(extra))
	for k, v := range extra {
		out[k] = v
	}
	delete(out, "top_logprobs")
	out["logprobs"] = raw
	return out, nil
}

func (p *Provider) chatBody(req *deployments.ChatRequest, stream bool) (deployments.ChatRequest, error) {
	r := *req
	r.Model = p.model
	r.Stream = nil
	if stream {
		r.Stream = deployments.Ptr(true)
	}
	var err error
	r.Extra, err = p.logprobs(req.Extra)
	return r, err
}

// Chat calls /chat/completions.
func (p *Provider) Chat(ctx context.Context, req *deployments.ChatRequest) (*deployments.ChatResponse, error) {
	body, err := p.chatBody(req, false)
	if err != nil {
		return nil, err
	}
	return p.up.OpenAIChat(ctx, p.chatURL, p.header, body)
}

// ChatStream calls /chat/completions with stream set.
func (p *Provider) ChatStream(ctx context.Context, req *deployments.ChatRequest, fn func(*deployments.ChatChunk) error) error {
	body, err := p.chatBody(req, true)
	if err != nil {
		return err
	}
	return p.up.OpenAIChatStream(ctx, p.chatURL, p.header, body, fn)
}

func (p *Provider) completionsBody(req *deployments.CompletionsRequest, stream bool) (deployments.CompletionsRequest, error) {
	if req.MaxTokens == nil || *req.MaxTokens == 0 {
		return deployments.CompletionsRequest{}, p.up.Invalid("max_tokens is not present in payload.It is a required parameter for TogetherAI completions.")
	}
	r := *req
	r.Model = p.model
	r.Stream = nil
	if stream {
		r.Stream = deployments.Ptr(true)
	}
	var err error
	r.Extra, err = p.logprobs(req.Extra)
	return r, err
}

// textCompletion is Together AI's /completions answer and stream chunk.
type textCompletion struct {
	ID      string `json:"id"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index        *int    `json:"index"`
		Text         *string `json:"text"`
		FinishReason *string `json:"finish_reason"`
		Delta        *struct {
			Content *string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
	Usage *deployments.Usage `json:"usage"`
}

func (t *textCompletion) text(i int) *string {
	c := t.Choices[i]
	if c.Text == nil && c.Delta != nil {
		return c.Delta.Content
	}
	return c.Text
}

func (t *textCompletion) index(i int) int {
	if t.Choices[i].Index != nil {
		return *t.Choices[i].Index
	}
	return i
}

// parseCompletion reads a /completions answer or stream chunk.
func parseCompletion(b []byte) (*textCompletion, error) {
	var t textCompletion
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Completions calls /completions.
func (p *Provider) Completions(ctx context.Context, req *deployments.CompletionsRequest) (*deployments.CompletionsResponse, error) {
	body, err := p.completionsBody(req, false)
	if err != nil {
		return nil, err
	}
	resp, err := p.up.PostJSON(ctx, p.cURL, p.header, body)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := p.up.Decode(resp, &raw); err != nil {
		return nil, err
	}
	t, err := parseCompletion(raw)
	if err != nil {
		return nil, p.up.Err(provider.KindBadResponse, "the answer is not the expected JSON", err)
	}
	out := &deployments.CompletionsResponse{ID: t.ID, Object: "text_completion", Created: t.Created, Model: p.model,
		Choices: make([]deployments.CompletionsChoice, len(t.Choices))}
	if t.Usage != nil {
		out.Usage = *t.Usage
	}
	for i, c := range t.Choices {
		text := ""
		if s := t.text(i); s != nil {
			text = *s
		}
		out.Choices[i] = deployments.CompletionsChoice{Index: t.index(i), Text: text, FinishReason: c.FinishReason}
	}
	return out, nil
}

// CompletionsStream calls /completions with stream set.
func (p *Provider) CompletionsStream(ctx context.Context, req *deployments.CompletionsRequest, fn func(*deployments.CompletionsChunk) error) error {
	body, err := p.completionsBody(req, true)
	if err != nil {
		return err
	}
	resp, err := p.up.PostJSON(ctx, p.cURL, p.header, body)
	if err != nil {
		return err
	}
	return p.up.Events(ctx, resp, func(data []byte) error {
		t, err := parseCompletion(data)
		if err != nil {
			return p.up.BadEvent(err)
		}
		ch := &deployments.CompletionsChunk{ID: t.ID, Object: "text_completion_chunk", Created: t.Created, Model: p.model, Usage: t.Usage,
			Choices: make([]deployments.CompletionsChunkChoice, len(t.Choices))}
		for i, c := range t.Choices {
			ch.Choices[i] = deployments.CompletionsChunkChoice{Index: t.index(i), FinishReason: c.FinishReason, Delta: deployments.Delta{Content: t.text(i)}}
		}
		return upstream.Callback(fn(ch))
	})
}

// Embeddings calls /embeddings with the configured model.
func (p *Provider) Embeddings(ctx context.Context, req *deployments.EmbeddingsRequest) (*deployments.EmbeddingsResponse, error) {
	r := *req
	r.Model = p.model
	out, err := p.up.OpenAIEmbeddings(ctx, p.embURL, p.header, r)
	if err != nil {
		return nil, err
	}
	out.Model = p.model
	return out, nil
}
