package cohere

import (
	"context"
	"encoding/json"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// chatBody is MLflow's chat_to_model.
func (p *Provider) chatBody(req *deployments.ChatRequest, stream bool) (body, error) {
	if req.N != nil && *req.N != 1 {
		return nil, p.up.Invalid("Parameter n must be 1 for Cohere chat, got %d.", *req.N)
	}
	if req.Stop != nil {
		return nil, p.up.Invalid("Parameter stop is not supported for Cohere chat.")
	}
	if len(req.Messages) == 0 {
		return nil, p.up.Invalid("messages must not be empty")
	}
	b := newBody(p.model, req.Extra)
	b.set("temperature", scaled(req.Temperature))
	b.set("max_tokens", req.MaxTokens)
	if stream {
		b["stream"] = true
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role != "user" {
		return nil, p.up.Invalid("Last message must be from user, got %s.", last.Role)
	}
	msg, err := upstream.TextOf(last.Content)
	if err != nil {
		return nil, p.up.Invalid("messages[%d]: %v", len(req.Messages)-1, err)
	}
	b["message"] = msg
	var preamble []string
	type turn struct {
		Role    string `json:"role"`
		Message string `json:"message"`
	}
	var history []turn
	for i, m := range req.Messages[:len(req.Messages)-1] {
		if m.Role != "system" && m.Role != "user" && m.Role != "assistant" {
			continue // MLflow keeps only these
		}
		s, err := upstream.TextOf(m.Content)
		if err != nil {
			return nil, p.up.Invalid("messages[%d]: %v", i, err)
		}
		switch m.Role {
		case "system":
			preamble = append(preamble, s)
		case "user":
			history = append(history, turn{"USER", s})
		case "assistant":
			history = append(history, turn{"CHATBOT", s})
		}
	}
	if len(preamble) > 0 {
		b["preamble_override"] = joinLines(preamble)
	}
	if len(history) > 0 {
		b["chat_history"] = history
	}
	return b, nil
}

func joinLines(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "\n"
		}
		out += x
	}
	return out
}

// chatResponse is /v1/chat's answer, and the response of its stream-end
// event.
type chatResponse struct {
	ResponseID   string `json:"response_id"`
	Text         string `json:"text"`
	FinishReason string `json:"finish_reason"`
	TokenCount   *struct {
		PromptTokens   *int `json:"prompt_tokens"`
		ResponseTokens *int `json:"response_tokens"`
		TotalTokens    *int `json:"total_tokens"`
	} `json:"token_count"`
	Meta *struct {
		BilledUnits *struct {
			InputTokens  *int `json:"input_tokens"`
			OutputTokens *int `json:"output_tokens"`
		} `json:"billed_units"`
	} `json:"meta"`
}

func (r *chatResponse) usage() deployments.Usage {
	if t := r.TokenCount; t != nil {
		return deployments.Usage{PromptTokens: t.PromptTokens, CompletionTokens: t.ResponseTokens, TotalTokens: t.TotalTokens}
	}
	if r.Meta != nil && r.Meta.BilledUnits != nil && r.Meta.BilledUnits.InputTokens != nil && r.Meta.BilledUnits.OutputTokens != nil {
		return deployments.NewUsage(*r.Meta.BilledUnits.InputTokens, *r.Meta.BilledUnits.OutputTokens)
	}
	return deployments.Usage{}
}

// Chat calls /v1/chat.
func (p *Provider) Chat(ctx context.Context, req *deployments.ChatRequest) (*deployments.ChatResponse, error) {
	b, err := p.chatBody(req, false)
	if err != nil {
		return nil, err
	}
	resp, err := p.up.PostJSON(ctx, p.base+"/chat", p.header, b)
	if err != nil {
		return nil, err
	}
	var r chatResponse
	if err := p.up.Decode(resp, &r); err != nil {
		return nil, err
	}
	return &deployments.ChatResponse{ID: r.ResponseID, Object: "chat.completion", Created: p.up.Created(), Model: p.model, Usage: r.usage(),
		Choices: []deployments.ChatChoice{{Index: 0, FinishReason: finishReason(r.FinishReason),
			Message: deployments.ResponseMessage{Role: "assistant", Content: &r.Text}}}}, nil
}

// streamEvent is one line of a /v1/chat or /v1/generate stream.
type streamEvent struct {
	EventType    string          `json:"event_type"`
	Text         *string         `json:"text"`
	Index        int             `json:"index"`
	IsFinished   bool            `json:"is_finished"`
	FinishReason string          `json:"finish_reason"`
	Response     json.RawMessage `json:"response"`
}

func parseEvent(line []byte) (*streamEvent, error) {
	var e streamEvent
	if err := json.Unmarshal(line, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// ChatStream calls /v1/chat with stream set: text-generation events
// become content chunks, stream-end the last chunk with finish_reason and
// usage.
func (p *Provider) ChatStream(ctx context.Context, req *deployments.ChatRequest, fn func(*deployments.ChatChunk) error) error {
	b, err := p.chatBody(req, true)
	if err != nil {
		return err
	}
	resp, err := p.up.PostJSON(ctx, p.base+"/chat", p.header, b)
	if err != nil {
		return err
	}
	created, id := p.up.Created(), ""
	first := true
	return p.events(ctx, resp, func(line []byte) error {
		e, err := parseEvent(line)
		if err != nil {
			return p.up.BadEvent(err)
		}
		ch := &deployments.ChatChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: p.model}
		switch e.EventType {
		case "stream-start":
			var s struct {
				GenerationID string `json:"generation_id"`
			}
			_ = json.Unmarshal(line, &s)
			id = s.GenerationID
			return nil
		case "text-generation":
			d := deployments.Delta{Content: e.Text}
			if first {
				d.Role, first = deployments.Ptr("assistant"), false
			}
			ch.Choices = []deployments.ChatChunkChoice{{Index: 0, Delta: d}}
			return upstream.Callback(fn(ch))
		case "stream-end":
			var r chatResponse
			if len(e.Response) > 0 {
				if err := json.Unmarshal(e.Response, &r); err != nil {
					return p.up.BadEvent(err)
				}
			}
			if r.ResponseID != "" {
				ch.ID = r.ResponseID
			}
			u := r.usage()
			ch.Usage = &u
			ch.Choices = []deployments.ChatChunkChoice{{Index: 0, FinishReason: finishReason(e.FinishReason)}}
			if err := fn(ch); err != nil {
				return upstream.Callback(err)
			}
			return errStreamEnd
		}
		return nil
	})
}
