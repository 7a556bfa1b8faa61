package upstream

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
)

// The OpenAI-shaped APIs (Mistral, Together AI) answer in OpenAI's wire
// format: these read it.

// chatChunk is an OpenAI chat chunk; some servers (Together AI) also put
// the text in choices[].text.
type chatChunk struct {
	ID      string `json:"id"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int               `json:"index"`
		FinishReason *string           `json:"finish_reason"`
		Delta        deployments.Delta `json:"delta"`
		Text         *string           `json:"text"`
	} `json:"choices"`
	Usage *deployments.Usage `json:"usage"`
}

// ParseOpenAIChat reads an OpenAI chat answer.
func ParseOpenAIChat(b []byte) (*deployments.ChatResponse, error) {
	var r deployments.ChatResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	r.Object = "chat.completion"
	for i := range r.Choices {
		m := &r.Choices[i].Message
		if m.Role == "" {
			m.Role = "assistant"
		}
		if string(m.ToolCalls) == "null" {
			m.ToolCalls = nil
		}
	}
	return &r, nil
}

// ParseOpenAIChatChunk reads one OpenAI chat stream event.
func ParseOpenAIChatChunk(b []byte) (*deployments.ChatChunk, error) {
	var u chatChunk
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, err
	}
	ch := &deployments.ChatChunk{ID: u.ID, Object: "chat.completion.chunk", Created: u.Created, Model: u.Model, Usage: u.Usage,
		Choices: make([]deployments.ChatChunkChoice, len(u.Choices))}
	for i, c := range u.Choices {
		d := c.Delta
		if d.Content == nil && c.Text != nil {
			d.Content = c.Text
		}
		if string(d.ToolCalls) == "null" {
			d.ToolCalls = nil
		}
		ch.Choices[i] = deployments.ChatChunkChoice{Index: c.Index, FinishReason: c.FinishReason, Delta: d}
	}
	return ch, nil
}

// OpenAIChat posts body to url and reads an OpenAI chat answer.
func (c *Caller) OpenAIChat(ctx context.Context, url string, header func(http.Header), body any) (*deployments.ChatResponse, error) {
	resp, err := c.PostJSON(ctx, url, header, body)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := c.Decode(resp, &raw); err != nil {
		return nil, err
	}
	r, err := ParseOpenAIChat(raw)
	if err != nil {
		return nil, c.Err(provider.KindBadResponse, "the answer is not the expected JSON", err)
	}
	return r, nil
}

// OpenAIChatStream posts body to url and passes each chunk of the OpenAI
// chat stream to fn.
func (c *Caller) OpenAIChatStream(ctx context.Context, url string, header func(http.Header), body any, fn func(*deployments.ChatChunk) error) error {
	resp, err := c.PostJSON(ctx, url, header, body)
	if err != nil {
		return err
	}
	return c.Events(ctx, resp, func(data []byte) error {
		ch, err := ParseOpenAIChatChunk(data)
		if err != nil {
			return c.BadEvent(err)
		}
		return Callback(fn(ch))
	})
}

// ChatAsCompletions turns a chat answer into a completions answer.
func ChatAsCompletions(r *deployments.ChatResponse) *deployments.CompletionsResponse {
	out := &deployments.CompletionsResponse{ID: r.ID, Object: "text_completion", Created: r.Created, Model: r.Model, Usage: r.Usage,
		Choices: make([]deployments.CompletionsChoice, len(r.Choices))}
	for i, c := range r.Choices {
		text := ""
		if c.Message.Content != nil {
			text = *c.Message.Content
		}
		out.Choices[i] = deployments.CompletionsChoice{Index: c.Index, Text: text, FinishReason: c.FinishReason}
	}
	return out
}

// ChunkAsCompletions turns a chat chunk into a completions chunk.
func ChunkAsCompletions(ch *deployments.ChatChunk) *deployments.CompletionsChunk {
	out := &deployments.CompletionsChunk{ID: ch.ID, Object: "text_completion_chunk", Created: ch.Created, Model: ch.Model, Usage: ch.Usage,
		Choices: make([]deployments.CompletionsChunkChoice, len(ch.Choices))}
	for i, c := range ch.Choices {
		out.Choices[i] = deployments.CompletionsChunkChoice{Index: c.Index, FinishReason: c.FinishReason, Delta: deployments.Delta{Content: c.Delta.Content}}
	}
	return out
}

// OpenAIEmbeddings posts body to url and reads an OpenAI embeddings answer.
func (c *Caller) OpenAIEmbeddings(ctx context.Context, url string, header func(http.Header), body any) (*deployments.EmbeddingsResponse, error) {
	resp, err := c.PostJSON(ctx, url, header, body)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := c.Decode(resp, &raw); err != nil {
		return nil, err
	}
	r, err := ParseOpenAIEmbeddings(raw)
	if err != nil {
		return nil, c.Err(provider.KindBadResponse, "the answer is not the expected JSON", err)
	}
	return r, nil
}

// ParseOpenAIEmbeddings reads an OpenAI embeddings answer.
func ParseOpenAIEmbeddings(b []byte) (*deployments.EmbeddingsResponse, error) {
	var r deployments.EmbeddingsResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	r.Object = "list"
	for i := range r.Data {
		r.Data[i].Object = "embedding"
	}
	r.Usage.CompletionTokens = nil
	return &r, nil
}

// Bearer returns a header func setting Authorization: Bearer key.
func Bearer(key string) func(http.Header) {
	return func(h http.Header) { h.Set("Authorization", "Bearer "+key) }
}
