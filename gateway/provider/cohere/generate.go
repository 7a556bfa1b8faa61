package cohere

import (
	"context"
	"encoding/json"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// generateBody is MLflow's completions_to_model.
func (p *Provider) generateBody(req *deployments.CompletionsRequest, stream bool) (body, error) {
	for _, k := range [][2]string{{"stop", "stop_sequences"}, {"n", "num_generations"}} {
		if _, ok := req.Extra[k[1]]; ok {
			return nil, p.up.Invalid("Invalid parameter %s. Use %s instead.", k[1], k[0])
		}
	}
	b := newBody(p.model, req.Extra)
	b["prompt"] = req.Prompt
	b.set("temperature", scaled(req.Temperature))
	b.set("max_tokens", req.MaxTokens)
	b.set("num_generations", req.N)
	if req.Stop != nil {
		b["stop_sequences"] = req.Stop
	}
	if stream {
		b["stream"] = true
	}
	return b, nil
}

// generateResponse is /v1/generate's answer.
type generateResponse struct {
	ID          string `json:"id"`
	Generations []struct {
		Index        *int   `json:"index"`
		Text         string `json:"text"`
		FinishReason string `json:"finish_reason"`
	} `json:"generations"`
	Meta *struct {
		BilledUnits *struct {
			InputTokens  *int `json:"input_tokens"`
			OutputTokens *int `json:"output_tokens"`
		} `json:"billed_units"`
	} `json:"meta"`
}

func parseGenerate(b []byte) (*generateResponse, error) {
	var r generateResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Completions calls /v1/generate.
func (p *Provider) Completions(ctx context.Context, req *deployments.CompletionsRequest) (*deployments.CompletionsResponse, error) {
	b, err := p.generateBody(req, false)
	if err != nil {
		return nil, err
	}
	resp, err := p.up.PostJSON(ctx, p.base+"/generate", p.header, b)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := p.up.Decode(resp, &raw); err != nil {
		return nil, err
	}
	r, err := parseGenerate(raw)
	if err != nil {
		return nil, p.up.Err(provider.KindBadResponse, "the answer is not the expected JSON", err)
	}
	out := &deployments.CompletionsResponse{ID: r.ID, Object: "text_completion", Created: p.up.Created(), Model: p.model,
		Choices: make([]deployments.CompletionsChoice, len(r.Generations))}
	if r.Meta != nil && r.Meta.BilledUnits != nil && r.Meta.BilledUnits.InputTokens != nil && r.Meta.BilledUnits.OutputTokens != nil {
		out.Usage = deployments.NewUsage(*r.Meta.BilledUnits.InputTokens, *r.Meta.BilledUnits.OutputTokens)
	}
	for i, g := range r.Generations {
		out.Choices[i] = deployments.CompletionsChoice{Index: i, Text: g.Text, FinishReason: finishReason(g.FinishReason)}
	}
	return out, nil
}

// CompletionsStream calls /v1/generate with stream set.
func (p *Provider) CompletionsStream(ctx context.Context, req *deployments.CompletionsRequest, fn func(*deployments.CompletionsChunk) error) error {
	b, err := p.generateBody(req, true)
	if err != nil {
		return err
	}
	resp, err := p.up.PostJSON(ctx, p.base+"/generate", p.header, b)
	if err != nil {
		return err
	}
	created := p.up.Created()
	return p.events(ctx, resp, func(line []byte) error {
		e, err := parseEvent(line)
		if err != nil {
			return p.up.BadEvent(err)
		}
		ch := &deployments.CompletionsChunk{Object: "text_completion_chunk", Created: created, Model: p.model}
		switch e.EventType {
		case "text-generation":
			ch.Choices = []deployments.CompletionsChunkChoice{{Index: e.Index, Delta: deployments.Delta{Content: e.Text}}}
			return upstream.Callback(fn(ch))
		case "stream-end":
			if len(e.Response) > 0 {
				r, err := parseGenerate(e.Response)
				if err != nil {
					return p.up.BadEvent(err)
				}
				ch.ID = r.ID
			}
			ch.Choices = []deployments.CompletionsChunkChoice{{Index: 0, FinishReason: finishReason(e.FinishReason)}}
			if err := fn(ch); err != nil {
				return upstream.Callback(err)
			}
			return errStreamEnd
		}
		return nil
	})
}

// Embeddings calls /v1/embed with the input as texts.
func (p *Provider) Embeddings(ctx context.Context, req *deployments.EmbeddingsRequest) (*deployments.EmbeddingsResponse, error) {
	if _, ok := req.Extra["texts"]; ok {
		return nil, p.up.Invalid("Invalid parameter texts. Use input instead.")
	}
	texts, err := req.Texts()
	if err != nil {
		return nil, p.up.Invalid("input must be a string or a list of strings for the cohere provider")
	}
	b := newBody(p.model, req.Extra)
	b["texts"] = texts
	resp, err := p.up.PostJSON(ctx, p.base+"/embed", p.header, b)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := p.up.Decode(resp, &raw); err != nil {
		return nil, err
	}
	vecs, err := parseEmbed(raw)
	if err != nil {
		return nil, p.up.Err(provider.KindBadResponse, "the answer is not the expected JSON", err)
	}
	out := &deployments.EmbeddingsResponse{Object: "list", Model: p.model, Data: make([]deployments.Embedding, len(vecs))}
	for i, v := range vecs {
		out.Data[i] = deployments.Embedding{Object: "embedding", Embedding: v, Index: i}
	}
	return out, nil
}

// parseEmbed reads /v1/embed's embeddings: a list of vectors, or (with
// embedding_types) an object whose "float" member is one.
func parseEmbed(b []byte) ([][]float64, error) {
	var r struct {
		Embeddings json.RawMessage `json:"embeddings"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	var vecs [][]float64
	if err := json.Unmarshal(r.Embeddings, &vecs); err == nil {
		return vecs, nil
	}
	var byType struct {
		Float [][]float64 `json:"float"`
	}
	if err := json.Unmarshal(r.Embeddings, &byType); err != nil {
		return nil, err
	}
	return byType.Float, nil
}
