// Package mlflowserving is the gateway's adapter for MLflow's
// "mlflow-model-serving" provider: any server speaking MLflow's scoring
// protocol (mlflow models serve, berth serve). It calls
// {model_server_url}/invocations as MLflow 2.17's MlflowModelServingProvider
// does:
//
//   - completions: {"inputs": [prompt], "params": {temperature, n, stop,
//     max_tokens, ...}}, the answer's "predictions" (a list of strings) as
//     the choices;
//   - chat: one message only (MLflow refuses more), its content sent as the
//     prompt above, each prediction an assistant message;
//   - embeddings: {"inputs": [text, ...]}, the predictions (one vector, or
//     a list of vectors) as the embeddings.
//
// Usage counts are null: a scoring server does not report them. Streaming
// is not offered (MLflow's provider has none).
//
// model.config: model_server_url (required), e.g. http://127.0.0.1:8080.
package mlflowserving

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// Name is MLflow's name for this provider.
const Name = "mlflow-model-serving"

func init() {
	provider.Register(provider.Spec{Name: Name, New: New, RequiredFields: []string{"model_server_url"}})
}

// Provider calls one MLflow scoring server.
type Provider struct {
	provider.Unsupported
	url   string
	model string
	call  upstream.Caller
	now   func() time.Time
}

var _ provider.Provider = (*Provider)(nil)

// New builds the adapter from an endpoint's model config.
func New(cfg provider.Config) (provider.Provider, error) {
	base := strings.TrimRight(cfg.String("model_server_url"), "/")
	if base == "" {
		return nil, fmt.Errorf("model_server_url is empty")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Provider{Unsupported: provider.Unsupported{Provider: Name}, url: base + "/invocations", model: cfg.Model,
		call: upstream.Caller{Provider: Name, Client: cfg.HTTPClient, Now: now}, now: now}, nil
}

// request is MLflow's scoring request: inputs, and the other parameters
// as params.
type request struct {
	Inputs any            `json:"inputs"`
	Params map[string]any `json:"params,omitempty"`
}

// params gathers a request's parameters as MLflow's provider sends them:
// temperature and n always (their defaults 0 and 1), the rest when given.
func params(temp *float64, n *int, stop []string, maxTokens *int, extra deployments.Extra) map[string]any {
	p := map[string]any{"temperature": 0.0, "n": 1}
	if temp != nil {
		p["temperature"] = *temp
	}
	if n != nil {
		p["n"] = *n
	}
	if stop != nil {
		p["stop"] = stop
	}
	if maxTokens != nil {
		p["max_tokens"] = *maxTokens
	}
	for k, v := range extra {
		if k != "stream" {
			p[k] = v
		}
	}
	return p
}

func (p *Provider) predict(ctx context.Context, body request, out any) error {
	resp, err := p.call.PostJSON(ctx, p.url, nil, body)
	if err != nil {
		return err
	}
	var r struct {
		Predictions json.RawMessage `json:"predictions"`
	}
	if err := p.call.Decode(resp, &r); err != nil {
		return err
	}
	if err := json.Unmarshal(r.Predictions, out); err != nil {
		return p.call.Err(provider.KindBadResponse, "the scoring server's predictions are not the expected shape", err)
	}
	return nil
}

// Completions scores the prompt.
func (p *Provider) Completions(ctx context.Context, req *deployments.CompletionsRequest) (*deployments.CompletionsResponse, error) {
	var texts []string
	if err := p.predict(ctx, request{Inputs: []string{req.Prompt}, Params: params(req.Temperature, req.N, req.Stop, req.MaxTokens, req.Extra)}, &texts); err != nil {
		return nil, err
	}
	out := &deployments.CompletionsResponse{Object: "text_completion", Created: p.now().Unix(), Model: p.model,
		Choices: make([]deployments.CompletionsChoice, len(texts))}
	for i, t := range texts {
		out.Choices[i] = deployments.CompletionsChoice{Index: i, Text: t}
	}
	return out, nil
}

// Chat scores the one message's content as a prompt.
func (p *Provider) Chat(ctx context.Context, req *deployments.ChatRequest) (*deployments.ChatResponse, error) {
	if len(req.Messages) != 1 {
		return nil, p.call.Invalid("MLflow chat models are only capable of processing a single query at a time. The request submitted consists of %d queries.", len(req.Messages))
	}
	text, ok := req.Messages[0].Text()
	if !ok {
		return nil, p.call.Invalid("an MLflow chat model takes a message whose content is a string")
	}
	var texts []string
	extra := req.Extra
	if len(req.Tools) > 0 {
		extra = deployments.Extra{"tools": req.Tools}
		for k, v := range req.Extra {
			extra[k] = v
		}
	}
	if err := p.predict(ctx, request{Inputs: []string{text}, Params: params(req.Temperature, req.N, req.Stop, req.MaxTokens, extra)}, &texts); err != nil {
		return nil, err
	}
	out := &deployments.ChatResponse{Object: "chat.completion", Created: p.now().Unix(), Model: p.model,
		Choices: make([]deployments.ChatChoice, len(texts))}
	for i := range texts {
		out.Choices[i] = deployments.ChatChoice{Index: i, Message: deployments.ResponseMessage{Role: "assistant", Content: &texts[i]}}
	}
	return out, nil
}

// Embeddings scores the inputs.
func (p *Provider) Embeddings(ctx context.Context, req *deployments.EmbeddingsRequest) (*deployments.EmbeddingsResponse, error) {
	texts, err := req.Texts()
	if err != nil {
		return nil, p.call.Invalid("input must be a string or a list of strings for an MLflow model")
	}
	var raw json.RawMessage
	if err := p.predict(ctx, request{Inputs: texts}, &raw); err != nil {
		return nil, err
	}
	var vecs [][]float64
	if err := json.Unmarshal(raw, &vecs); err != nil {
		var one []float64
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, p.call.Err(provider.KindBadResponse, "the scoring server's predictions are neither a vector nor a list of vectors", err)
		}
		vecs = [][]float64{one}
	}
	out := &deployments.EmbeddingsResponse{Object: "list", Model: p.model, Data: make([]deployments.Embedding, len(vecs))}
	for i, v := range vecs {
		out.Data[i] = deployments.Embedding{Object: "embedding", Embedding: v, Index: i}
	}
	return out, nil
}
