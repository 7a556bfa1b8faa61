package bedrock

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
)

// Embeddings calls InvokeModel with the model family's body: Amazon Titan
// embeddings take one text per call ({"inputText"} → {"embedding",
// "inputTextTokenCount"}), Cohere's a list ({"texts", "input_type"} →
// {"embeddings"}).
func (p *Provider) Embeddings(ctx context.Context, req *deployments.EmbeddingsRequest) (*deployments.EmbeddingsResponse, error) {
	texts, err := req.Texts()
	if err != nil || len(texts) == 0 {
		return nil, p.up.Invalid("input must be a string or a non-empty list of strings for the bedrock provider")
	}
	out := &deployments.EmbeddingsResponse{Object: "list", Model: p.model, Data: make([]deployments.Embedding, 0, len(texts))}
	family, _, _ := strings.Cut(p.model, ".")
	switch family {
	case "amazon":
		tokens := 0
		for i, t := range texts {
			body := map[string]any{"inputText": t}
			for k, v := range req.Extra { // dimensions, normalize
				body[k] = v
			}
			var r struct {
				Embedding           []float64 `json:"embedding"`
				InputTextTokenCount int       `json:"inputTextTokenCount"`
			}
			if err := p.invoke(ctx, body, &r); err != nil {
				return nil, err
			}
			tokens += r.InputTextTokenCount
			out.Data = append(out.Data, deployments.Embedding{Object: "embedding", Embedding: r.Embedding, Index: i})
		}
		out.Usage = deployments.Usage{PromptTokens: &tokens, TotalTokens: &tokens}
	case "cohere":
		body := map[string]any{"texts": texts, "input_type": "search_document"}
		for k, v := range req.Extra {
			body[k] = v
		}
		var r struct {
			Embeddings [][]float64 `json:"embeddings"`
		}
		if err := p.invoke(ctx, body, &r); err != nil {
			return nil, err
		}
		if len(r.Embeddings) != len(texts) {
			return nil, p.up.Err(provider.KindBadResponse, "the number of embeddings does not match the inputs", nil)
		}
		for i, v := range r.Embeddings {
			out.Data = append(out.Data, deployments.Embedding{Object: "embedding", Embedding: v, Index: i})
		}
	default:
		return nil, p.up.Invalid("embeddings on Bedrock are supported for amazon.* (Titan) and cohere.* models, not %s", p.model)
	}
	return out, nil
}

func (p *Provider) invoke(ctx context.Context, body any, out any) error {
	resp, err := p.post(ctx, "invoke", body)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := p.up.Decode(resp, &raw); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return p.up.Err(provider.KindBadResponse, "the answer is not the expected JSON", err)
	}
	return nil
}
