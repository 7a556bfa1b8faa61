package openai

import (
	"context"
	"encoding/json"

	"github.com/berthml/berth/api/deployments"
)

// upstreamChat is OpenAI's chat answer, as much as the gateway reads.
type upstreamChat struct {
	ID      string            `json:"id"`
	Created int64             `json:"created"`
	Model   string            `json:"model"`
	Choices []upstreamChoice  `json:"choices"`
	Usage   deployments.Usage `json:"usage"`
}

// upstreamChoice is one choice of upstreamChat.
type upstreamChoice struct {
	Index   int `json:"index"`
	Message struct {
		Role      string          `json:"role"`
		Content   *string         `json:"content"`
		ToolCalls json.RawMessage `json:"tool_calls"`
	} `json:"message"`
	FinishReason *string `json:"finish_reason"`
}

// upstreamChunk is OpenAI's chat stream chunk, as much as the gateway reads.
type upstreamChunk struct {
	ID      string `json:"id"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int               `json:"index"`
		FinishReason *string           `json:"finish_reason"`
		Delta        deployments.Delta `json:"delta"`
	} `json:"choices"`
	Usage *deployments.Usage `json:"usage"`
}

// Chat calls /chat/completions.
func (p *Provider) Chat(ctx context.Context, req *deployments.ChatRequest) (*deployments.ChatResponse, error) {
	resp, err := p.post(ctx, p.chatURL, p.chatBody(req, false))
	if err != nil {
		return nil, err
	}
	var u upstreamChat
	if err := p.decodeChat(resp, &u); err != nil {
		return nil, err
	}
	out := &deployments.ChatResponse{ID: u.ID, Object: "chat.completion", Created: u.Created, Model: u.Model, Usage: u.Usage,
		Choices: make([]deployments.ChatChoice, len(u.Choices))}
	for i, c := range u.Choices {
		role := c.Message.Role
		if role == "" {
			role = "assistant"
		}
		out.Choices[i] = deployments.ChatChoice{Index: c.Index, FinishReason: c.FinishReason,
			Message: deployments.ResponseMessage{Role: role, Content: c.Message.Content, ToolCalls: nullToNil(c.Message.ToolCalls)}}
	}
	return out, nil
}

// ChatStream calls /chat/completions with stream set.
func (p *Provider) ChatStream(ctx context.Context, req *deployments.ChatRequest, fn func(*deployments.ChatChunk) error) error {
	resp, err := p.post(ctx, p.chatURL, p.chatBody(req, true))
	if err != nil {
		return err
	}
	return stream(p, ctx, resp, func(u *upstreamChunk) error {
		ch := &deployments.ChatChunk{ID: u.ID, Object: "chat.completion.chunk", Created: u.Created, Model: u.Model, Usage: u.Usage,
			Choices: make([]deployments.ChatChunkChoice, len(u.Choices))}
		for i, c := range u.Choices {
			ch.Choices[i] = deployments.ChatChunkChoice{Index: c.Index, FinishReason: c.FinishReason, Delta: c.Delta}
		}
		return fn(ch)
	})
}

// Completions calls /chat/completions with the prompt as one user message,
// as MLflow does.
func (p *Provider) Completions(ctx context.Context, req *deployments.CompletionsRequest) (*deployments.CompletionsResponse, error) {
	resp, err := p.post(ctx, p.chatURL, p.chatBody(completionsAsChat(req), false))
	if err != nil {
		return nil, err
	}
	var u upstreamChat
	if err := p.decodeChat(resp, &u); err != nil {
		return nil, err
	}
	out := &deployments.CompletionsResponse{ID: u.ID, Object: "text_completion", Created: u.Created, Model: u.Model, Usage: u.Usage,
		Choices: make([]deployments.CompletionsChoice, len(u.Choices))}
	for i, c := range u.Choices {
		text := ""
		if c.Message.Content != nil {
			text = *c.Message.Content
		}
		out.Choices[i] = deployments.CompletionsChoice{Index: c.Index, Text: text, FinishReason: c.FinishReason}
	}
	return out, nil
}

// CompletionsStream streams /chat/completions as completions chunks.
func (p *Provider) CompletionsStream(ctx context.Context, req *deployments.CompletionsRequest, fn func(*deployments.CompletionsChunk) error) error {
	resp, err := p.post(ctx, p.chatURL, p.chatBody(completionsAsChat(req), true))
	if err != nil {
		return err
	}
	return stream(p, ctx, resp, func(u *upstreamChunk) error {
		ch := &deployments.CompletionsChunk{ID: u.ID, Object: "text_completion_chunk", Created: u.Created, Model: u.Model, Usage: u.Usage,
			Choices: make([]deployments.CompletionsChunkChoice, len(u.Choices))}
		for i, c := range u.Choices {
			ch.Choices[i] = deployments.CompletionsChunkChoice{Index: c.Index, FinishReason: c.FinishReason,
				Delta: deployments.Delta{Content: c.Delta.Content}}
		}
		return fn(ch)
	})
}

// Embeddings calls /embeddings.
func (p *Provider) Embeddings(ctx context.Context, req *deployments.EmbeddingsRequest) (*deployments.EmbeddingsResponse, error) {
	r := *req
	r.Model = p.model
	resp, err := p.post(ctx, p.embURL, r)
	if err != nil {
		return nil, err
	}
	var u struct {
		Data []struct {
			Embedding []float64 `json:"embedding"`
			Index     int       `json:"index"`
		} `json:"data"`
		Model string            `json:"model"`
		Usage deployments.Usage `json:"usage"`
	}
	if err := p.decode(resp, &u); err != nil {
		return nil, err
	}
	out := &deployments.EmbeddingsResponse{Object: "list", Model: u.Model, Data: make([]deployments.Embedding, len(u.Data)),
		Usage: deployments.Usage{PromptTokens: u.Usage.PromptTokens, TotalTokens: u.Usage.TotalTokens}}
	for i, d := range u.Data {
		out.Data[i] = deployments.Embedding{Object: "embedding", Embedding: d.Embedding, Index: d.Index}
	}
	return out, nil
}

func nullToNil(r json.RawMessage) json.RawMessage {
	if string(r) == "null" {
		return nil
	}
	return r
}
