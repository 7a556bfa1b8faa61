package anthropic

import (
	"encoding/json"
	"strings"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// messagesRequest is the body of POST /v1/messages.
type messagesRequest struct {
	Model         string          `json:"model"`
	MaxTokens     int             `json:"max_tokens"`
	Messages      []message       `json:"messages"`
	System        []block         `json:"system,omitempty"` // text blocks (the SDK's shape; a string is also valid)
	Temperature   *float64        `json:"temperature,omitempty"`
	TopP          *float64        `json:"top_p,omitempty"`
	TopK          *int            `json:"top_k,omitempty"`
	StopSequences []string        `json:"stop_sequences,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
	Tools         []tool          `json:"tools,omitempty"`
	ToolChoice    map[string]any  `json:"tool_choice,omitempty"`
	Metadata      json.RawMessage `json:"metadata,omitempty"`
}

type message struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

// block is a content block of a request message.
type block struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	Source    *imageSource    `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`          // tool_use
	Name      string          `json:"name,omitempty"`        // tool_use
	Input     json.RawMessage `json:"input,omitempty"`       // tool_use
	ToolUseID string          `json:"tool_use_id,omitempty"` // tool_result
	Content   []block         `json:"content,omitempty"`     // tool_result: text blocks
}

type imageSource struct {
	Type      string `json:"type"` // base64 or url
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// chatRequest translates a gateway chat request.
func (p *Provider) chatRequest(req *deployments.ChatRequest, stream bool) (*messagesRequest, error) {
	out := &messagesRequest{Model: p.model, MaxTokens: DefaultMaxTokens, StopSequences: req.Stop, Stream: stream}
	if req.MaxTokens != nil {
		out.MaxTokens = *req.MaxTokens
	}
	if out.MaxTokens > MaximumMaxTokens {
		return nil, p.up.Invalid("Invalid value for max_tokens: cannot exceed %d.", MaximumMaxTokens)
	}
	if req.N != nil && *req.N != 1 {
		return nil, p.up.Invalid("'n' must be '1' for the Anthropic provider. Received value: '%d'.", *req.N)
	}
	topP, hasTopP, err := upstream.Float(req.Extra, "top_p")
	if err != nil {
		return nil, p.up.Invalid("%v", err)
	}
	if hasTopP && req.Temperature != nil {
		return nil, p.up.Invalid("Cannot set both 'temperature' and 'top_p' parameters.")
	}
	if hasTopP {
		out.TopP = &topP
	}
	if req.Temperature != nil {
		t := 0.5 * *req.Temperature
		out.Temperature = &t
	}
	if k, ok, err := upstream.Int(req.Extra, "top_k"); err != nil {
		return nil, p.up.Invalid("%v", err)
	} else if ok {
		out.TopK = &k
	}
	if m, ok := req.Extra["metadata"]; ok {
		out.Metadata = m
	}
	var system []string
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "developer":
			s, err := upstream.TextOf(m.Content)
			if err != nil {
				return nil, p.up.Invalid("messages[%d]: %v", i, err)
			}
			system = append(system, s)
		case "user", "assistant":
			blocks, err := p.blocks(m)
			if err != nil {
				return nil, p.up.Invalid("messages[%d]: %v", i, err)
			}
			out.appendMessage(m.Role, blocks)
		case "tool":
			s, err := upstream.TextOf(m.Content)
			if err != nil {
				return nil, p.up.Invalid("messages[%d]: %v", i, err)
			}
			if m.ToolCallID == "" {
				return nil, p.up.Invalid("messages[%d]: a tool message needs tool_call_id", i)
			}
			out.appendMessage("user", []block{{Type: "tool_result", ToolUseID: m.ToolCallID, Content: []block{{Type: "text", Text: s}}}})
		default:
			return nil, p.up.Invalid("messages[%d]: role %q is not one of system, user, assistant, tool", i, m.Role)
		}
	}
	if len(out.Messages) == 0 {
		return nil, p.up.Invalid("messages: Anthropic needs at least one user or assistant message")
	}
	if len(system) > 0 {
		out.System = []block{{Type: "text", Text: strings.Join(system, "\n")}}
	}
	tools, err := upstream.ParseTools(req.Tools)
	if err != nil {
		return nil, p.up.Invalid("%v", err)
	}
	for _, t := range tools {
		out.Tools = append(out.Tools, tool{Name: t.Name, Description: t.Description, InputSchema: t.Parameters})
	}
	tc, err := upstream.ParseToolChoice(req.Extra)
	if err != nil {
		return nil, p.up.Invalid("%v", err)
	}
	switch tc.Mode {
	case "auto":
		out.ToolChoice = map[string]any{"type": "auto"}
	case "required":
		out.ToolChoice = map[string]any{"type": "any"}
	case "none":
		out.ToolChoice = map[string]any{"type": "none"}
	case "function":
		out.ToolChoice = map[string]any{"type": "tool", "name": tc.Name}
	}
	return out, nil
}

// appendMessage adds blocks under role, merging into the last message
// when it has the same role (Anthropic wants roles to alternate; several
// tool results answer one assistant turn in one user message).
func (r *messagesRequest) appendMessage(role string, blocks []block) {
	if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == role {
		r.Messages[n-1].Content = append(r.Messages[n-1].Content, blocks...)
		return
	}
	r.Messages = append(r.Messages, message{Role: role, Content: blocks})
}

// blocks translates a user or assistant message's content and tool calls.
func (p *Provider) blocks(m deployments.Message) ([]block, error) {
	parts, err := upstream.ParseContent(m.Content)
	if err != nil {
		return nil, err
	}
	var out []block
	for _, part := range parts {
		switch {
		case !part.Image:
			if part.Text != "" || len(parts) == 1 && m.ToolCalls == nil {
				out = append(out, block{Type: "text", Text: part.Text})
			}
		case part.URL != "":
			out = append(out, block{Type: "image", Source: &imageSource{Type: "url", URL: part.URL}})
		default:
			out = append(out, block{Type: "image", Source: &imageSource{Type: "base64", MediaType: part.MediaType, Data: part.Data}})
		}
	}
	calls, err := upstream.ParseToolCalls(m.ToolCalls)
	if err != nil {
		return nil, err
	}
	for _, c := range calls {
		in, err := c.ArgumentsObject()
		if err != nil {
			return nil, err
		}
		out = append(out, block{Type: "tool_use", ID: c.ID, Name: c.Name, Input: in})
	}
	if len(out) == 0 {
		out = append(out, block{Type: "text", Text: ""})
	}
	return out, nil
}

// completionsRequest sends a prompt as one user message.
func (p *Provider) completionsRequest(req *deployments.CompletionsRequest, stream bool) (*messagesRequest, error) {
	return p.chatRequest(&deployments.ChatRequest{
		Messages:    []deployments.Message{deployments.TextMessage("user", req.Prompt)},
		Temperature: req.Temperature, N: req.N, Stop: req.Stop, MaxTokens: req.MaxTokens, Extra: req.Extra,
	}, stream)
}
