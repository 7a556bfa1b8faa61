package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// messageResponse is Anthropic's Message, as much as the gateway reads.
type messageResponse struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Model      string          `json:"model"`
	Content    []responseBlock `json:"content"`
	StopReason string          `json:"stop_reason"`
	Usage      struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

type responseBlock struct {
	Type  string          `json:"type"`
	Text  string          `json:"text"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

// finishReason maps Anthropic's stop_reason to OpenAI's finish_reason.
func finishReason(s string) string {
	switch s {
	case "max_tokens":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	}
	return "stop"
}

// parseMessage reads a /v1/messages answer: the text of its text blocks
// (nil when there is none) and its tool_use blocks as OpenAI tool calls.
func parseMessage(b []byte) (*messageResponse, *string, []upstream.ToolCall, error) {
	var m messageResponse
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, nil, err
	}
	var text *string
	var calls []upstream.ToolCall
	for _, c := range m.Content {
		switch c.Type {
		case "text":
			if text == nil {
				text = new(string)
			}
			*text += c.Text
		case "tool_use":
			args := string(c.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			calls = append(calls, upstream.ToolCall{ID: c.ID, Name: c.Name, Arguments: args})
		}
	}
	return &m, text, calls, nil
}

func (p *Provider) call(ctx context.Context, body *messagesRequest) (*messageResponse, *string, []upstream.ToolCall, error) {
	resp, err := p.up.PostJSON(ctx, p.url, p.header, body)
	if err != nil {
		return nil, nil, nil, err
	}
	var raw json.RawMessage
	if err := p.up.Decode(resp, &raw); err != nil {
		return nil, nil, nil, err
	}
	m, text, calls, err := parseMessage(raw)
	if err != nil {
		return nil, nil, nil, p.up.Err(provider.KindBadResponse, "the answer is not the expected JSON", err)
	}
	return m, text, calls, nil
}

// Chat calls /v1/messages.
func (p *Provider) Chat(ctx context.Context, req *deployments.ChatRequest) (*deployments.ChatResponse, error) {
	body, err := p.chatRequest(req, false)
	if err != nil {
		return nil, err
	}
	m, text, calls, err := p.call(ctx, body)
	if err != nil {
		return nil, err
	}
	return &deployments.ChatResponse{ID: m.ID, Object: "chat.completion", Created: p.up.Created(), Model: m.Model,
		Choices: []deployments.ChatChoice{{Index: 0, FinishReason: deployments.Ptr(finishReason(m.StopReason)),
			Message: deployments.ResponseMessage{Role: "assistant", Content: text, ToolCalls: upstream.ToolCallsJSON(calls)}}},
		Usage: deployments.NewUsage(m.Usage.InputTokens, m.Usage.OutputTokens)}, nil
}

// Completions calls /v1/messages with the prompt as one user message.
func (p *Provider) Completions(ctx context.Context, req *deployments.CompletionsRequest) (*deployments.CompletionsResponse, error) {
	body, err := p.completionsRequest(req, false)
	if err != nil {
		return nil, err
	}
	m, text, _, err := p.call(ctx, body)
	if err != nil {
		return nil, err
	}
	t := ""
	if text != nil {
		t = *text
	}
	return &deployments.CompletionsResponse{ID: m.ID, Object: "text_completion", Created: p.up.Created(), Model: m.Model,
		Choices: []deployments.CompletionsChoice{{Index: 0, Text: t, FinishReason: deployments.Ptr(finishReason(m.StopReason))}},
		Usage:   deployments.NewUsage(m.Usage.InputTokens, m.Usage.OutputTokens)}, nil
}

// event is one server-sent event of a streamed message
// (https://docs.anthropic.com/en/api/messages-streaming).
type event struct {
	Type    string          `json:"type"`
	Message messageResponse `json:"message"` // message_start
	Index   int             `json:"index"`   // content_block_*
	Block   responseBlock   `json:"content_block"`
	Delta   struct {
		Type        string `json:"type"` // text_delta, input_json_delta
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
		StopReason  string `json:"stop_reason"` // message_delta
	} `json:"delta"`
	Usage struct {
		InputTokens  *int `json:"input_tokens"`
		OutputTokens int  `json:"output_tokens"`
	} `json:"usage"` // message_delta
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// piece is what one event adds to the OpenAI-shaped stream.
type piece struct {
	role      bool            // the first chunk: role assistant
	text      *string         // content
	toolCalls json.RawMessage // delta.tool_calls
	finish    *string         // the finish chunk
	usage     *deployments.Usage
}

// translator turns Anthropic's events into pieces, keeping what later
// events need: the id, model, input tokens and tool-call indices.
type translator struct {
	id, model   string
	inputTokens int
	toolIndex   map[int]int // content block index → tool call index
	done        bool
}

// errorStatus maps a stream error event's type to the HTTP status
// Anthropic answers it with (https://docs.anthropic.com/en/api/errors).
var errorStatus = map[string]int{
	"invalid_request_error": 400, "authentication_error": 401, "permission_error": 403, "not_found_error": 404,
	"request_too_large": 413, "rate_limit_error": 429, "api_error": 500, "overloaded_error": 529,
}

// next translates one event's data.
func (t *translator) next(data []byte) (*piece, error) {
	var e event
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	switch e.Type {
	case "message_start":
		t.id, t.model, t.inputTokens = e.Message.ID, e.Message.Model, e.Message.Usage.InputTokens
		return &piece{role: true, text: deployments.Ptr("")}, nil
	case "content_block_start":
		switch e.Block.Type {
		case "tool_use":
			if t.toolIndex == nil {
				t.toolIndex = map[int]int{}
			}
			i := len(t.toolIndex)
			t.toolIndex[e.Index] = i
			return &piece{toolCalls: upstream.ToolCallDelta(i, e.Block.ID, e.Block.Name, "")}, nil
		case "text":
			if e.Block.Text != "" {
				return &piece{text: &e.Block.Text}, nil
			}
		}
	case "content_block_delta":
		switch e.Delta.Type {
		case "text_delta":
			return &piece{text: &e.Delta.Text}, nil
		case "input_json_delta":
			i, ok := t.toolIndex[e.Index]
			if !ok {
				return nil, errUnknownBlock
			}
			return &piece{toolCalls: upstream.ToolCallDelta(i, "", "", e.Delta.PartialJSON)}, nil
		}
	case "message_delta":
		in := t.inputTokens
		if e.Usage.InputTokens != nil {
			in = *e.Usage.InputTokens
		}
		u := deployments.NewUsage(in, e.Usage.OutputTokens)
		return &piece{finish: deployments.Ptr(finishReason(e.Delta.StopReason)), usage: &u}, nil
	case "message_stop":
		t.done = true
	case "error":
		status := errorStatus[e.Error.Type]
		if status == 0 {
			status = http.StatusBadGateway
		}
		msg := e.Error.Message
		if msg == "" {
			msg = e.Error.Type
		}
		return nil, &provider.Error{Provider: Name, Kind: provider.KindUpstream, Status: status, Message: msg}
	}
	return nil, nil // ping, content_block_stop, unknown events
}

var errUnknownBlock = errors.New("input_json_delta for a content block that is not a tool_use")

// stream sends body with stream set and passes each piece to emit.
func (p *Provider) stream(ctx context.Context, body *messagesRequest, emit func(t *translator, pc *piece) error) error {
	resp, err := p.up.PostJSON(ctx, p.url, p.header, body)
	if err != nil {
		return err
	}
	t := &translator{}
	err = p.up.Events(ctx, resp, func(data []byte) error {
		pc, err := t.next(data)
		if err != nil {
			if _, ok := provider.AsError(err); ok {
				return err
			}
			return p.up.BadEvent(err)
		}
		if pc != nil {
			if err := emit(t, pc); err != nil {
				return upstream.Callback(err)
			}
		}
		if t.done {
			return upstream.ErrStop
		}
		return nil
	})
	if err == nil && !t.done {
		return p.up.Err(provider.KindBadResponse, "the stream ended before message_stop", nil)
	}
	return err
}

// ChatStream calls /v1/messages with stream set, translating Anthropic's
// events into OpenAI chat chunks: the first with role assistant, one per
// text or tool-input delta, and a last one with finish_reason and usage.
func (p *Provider) ChatStream(ctx context.Context, req *deployments.ChatRequest, fn func(*deployments.ChatChunk) error) error {
	body, err := p.chatRequest(req, true)
	if err != nil {
		return err
	}
	created := p.up.Created()
	return p.stream(ctx, body, func(t *translator, pc *piece) error {
		d := deployments.Delta{Content: pc.text, ToolCalls: pc.toolCalls}
		if pc.role {
			d.Role = deployments.Ptr("assistant")
		}
		return fn(&deployments.ChatChunk{ID: t.id, Object: "chat.completion.chunk", Created: created, Model: t.model, Usage: pc.usage,
			Choices: []deployments.ChatChunkChoice{{Index: 0, FinishReason: pc.finish, Delta: d}}})
	})
}

// CompletionsStream streams /v1/messages as completions chunks (text only).
func (p *Provider) CompletionsStream(ctx context.Context, req *deployments.CompletionsRequest, fn func(*deployments.CompletionsChunk) error) error {
	body, err := p.completionsRequest(req, true)
	if err != nil {
		return err
	}
	created := p.up.Created()
	return p.stream(ctx, body, func(t *translator, pc *piece) error {
		if pc.role || (pc.text == nil && pc.finish == nil) {
			return nil
		}
		return fn(&deployments.CompletionsChunk{ID: t.id, Object: "text_completion_chunk", Created: created, Model: t.model, Usage: pc.usage,
			Choices: []deployments.CompletionsChunkChoice{{Index: 0, FinishReason: pc.finish, Delta: deployments.Delta{Content: pc.text}}}})
	})
}
