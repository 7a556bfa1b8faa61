package deployments

import (
	"encoding/json"
	"fmt"
)

// ChatRequest is the body of a query to an llm/v1/chat endpoint, and of
// POST /v1/chat/completions (where Model names the endpoint).
type ChatRequest struct {
	Model       string          // the endpoint's name on /v1/*; empty on an endpoint's own route
	Messages    []Message       // at least one
	Temperature *float64        // 0 to 2
	N           *int            // choices wanted, at least 1
	Stop        []string        // nil: none; MLflow accepts only a list
	MaxTokens   *int            // at least 1
	Stream      *bool           // answer as text/event-stream chunks
	Tools       json.RawMessage // passed through: OpenAI's tools array
	Extra       Extra           // every other member, passed through
}

// IsStream reports whether the request asks for a stream.
func (r *ChatRequest) IsStream() bool { return r.Stream != nil && *r.Stream }

// UnmarshalJSON decodes a chat request, keeping unknown members in Extra.
// A member of the wrong type is a *FieldError.
func (r *ChatRequest) UnmarshalJSON(data []byte) error {
	m, err := splitObject(data)
	if err != nil {
		return err
	}
	return r.FromMembers(m)
}

// FromMembers sets r from a JSON object already split into its members
// (for a caller that decoded the body once to check it). It takes the
// known members out of m and keeps the rest as Extra.
func (r *ChatRequest) FromMembers(m map[string]json.RawMessage) error {
	*r = ChatRequest{}
	for _, f := range []struct {
		name string
		dst  any
	}{{"model", &r.Model}, {"messages", &r.Messages}, {"temperature", &r.Temperature}, {"n", &r.N},
		{"stop", &r.Stop}, {"max_tokens", &r.MaxTokens}, {"stream", &r.Stream}} {
		if err := take(m, f.name, f.dst); err != nil {
			return err
		}
	}
	if t, ok := m["tools"]; ok {
		r.Tools = t
		delete(m, "tools")
	}
	if len(m) > 0 {
		r.Extra = m
	}
	return nil
}

// MarshalJSON writes the named members first, then Extra.
func (r ChatRequest) MarshalJSON() ([]byte, error) {
	return writeObject([]member{{"model", str(r.Model)}, {"messages", r.Messages}, {"temperature", opt(r.Temperature)},
		{"n", opt(r.N)}, {"stop", sliceOrNil(r.Stop)}, {"max_tokens", opt(r.MaxTokens)}, {"stream", opt(r.Stream)},
		{"tools", raw(r.Tools)}}, r.Extra)
}

func sliceOrNil(s []string) any {
	if s == nil {
		return nil
	}
	return s
}

// Message is one message of a chat. Content is raw JSON: a string as
// MLflow 2.x requires, or OpenAI's list of parts, or null beside
// tool_calls.
type Message struct {
	Role       string
	Content    json.RawMessage
	Name       string
	ToolCalls  json.RawMessage
	ToolCallID string
	Extra      Extra
}

// TextMessage returns a message whose content is the string text.
func TextMessage(role, text string) Message {
	c, _ := json.Marshal(text)
	return Message{Role: role, Content: c}
}

// Text returns the content when it is a JSON string.
func (m *Message) Text() (string, bool) {
	var s string
	if len(m.Content) == 0 || m.Content[0] != '"' {
		return "", false
	}
	if err := json.Unmarshal(m.Content, &s); err != nil {
		return "", false
	}
	return s, true
}

// UnmarshalJSON decodes a message, keeping unknown members in Extra.
func (m *Message) UnmarshalJSON(data []byte) error {
	o, err := splitObject(data)
	if err != nil {
		return err
	}
	*m = Message{}
	if err := take(o, "role", &m.Role); err != nil {
		return err
	}
	if err := take(o, "name", &m.Name); err != nil {
		return err
	}
	if err := take(o, "tool_call_id", &m.ToolCallID); err != nil {
		return err
	}
	if c, ok := o["content"]; ok {
		m.Content = c
		delete(o, "content")
	}
	if c, ok := o["tool_calls"]; ok {
		if !isNull(c) {
			m.ToolCalls = c
		}
		delete(o, "tool_calls")
	}
	if len(o) > 0 {
		m.Extra = o
	}
	return nil
}

// HasRole reports whether the message named its role (MLflow requires it).
func (m *Message) HasRole() bool { return m.Role != "" }

// MarshalJSON writes role and content first, then the rest.
func (m Message) MarshalJSON() ([]byte, error) {
	return writeObject([]member{{"role", m.Role}, {"content", raw(m.Content)}, {"name", str(m.Name)},
		{"tool_calls", raw(m.ToolCalls)}, {"tool_call_id", str(m.ToolCallID)}}, m.Extra)
}

// ChatResponse is a chat endpoint's answer, as MLflow rebuilds it.
type ChatResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"` // "chat.completion"
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []ChatChoice `json:"choices"`
	Usage   Usage        `json:"usage"`
}

// ChatChoice is one choice of a chat answer.
type ChatChoice struct {
	Index        int             `json:"index"`
	Message      ResponseMessage `json:"message"`
	FinishReason *string         `json:"finish_reason"`
}

// ResponseMessage is the message of a chat choice. MLflow writes
// tool_calls as null when there are none.
type ResponseMessage struct {
	Role      string          `json:"role"`
	Content   *string         `json:"content"`
	ToolCalls json.RawMessage `json:"tool_calls"`
}

// MarshalJSON writes a missing tool_calls as null, as MLflow does.
// It writes the members itself (the same bytes as encoding/json writes
// for the struct): this is on every chat answer's path.
func (m ResponseMessage) MarshalJSON() ([]byte, error) {
	n := len(`{"role":"","content":null,"tool_calls":null}`) + len(m.Role) + len(m.ToolCalls)
	if m.Content != nil {
		n += len(*m.Content)
	}
	b, err := appendString(append(make([]byte, 0, n), `{"role":`...), m.Role)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"content":`...)
	if m.Content == nil {
		b = append(b, "null"...)
	} else if b, err = appendString(b, *m.Content); err != nil {
		return nil, err
	}
	b = append(b, `,"tool_calls":`...)
	if len(m.ToolCalls) == 0 {
		return append(b, "null}"...), nil
	}
	tools, err := json.Marshal(m.ToolCalls)
	if err != nil {
		return nil, err
	}
	return append(append(b, tools...), '}'), nil
}

// Usage counts tokens. Providers that do not say leave a count nil.
type Usage struct {
	PromptTokens     *int `json:"prompt_tokens,omitempty"`
	CompletionTokens *int `json:"completion_tokens,omitempty"`
	TotalTokens      *int `json:"total_tokens,omitempty"`
}

// Tokens returns the prompt and completion counts, 0 where unknown.
func (u *Usage) Tokens() (in, out int) {
	if u == nil {
		return 0, 0
	}
	if u.PromptTokens != nil {
		in = *u.PromptTokens
	}
	if u.CompletionTokens != nil {
		out = *u.CompletionTokens
	}
	return in, out
}

// NewUsage returns a Usage with all three counts set.
func NewUsage(prompt, completion int) Usage {
	t := prompt + completion
	return Usage{PromptTokens: &prompt, CompletionTokens: &completion, TotalTokens: &t}
}

// ChatChunk is one event of a streamed chat answer.
type ChatChunk struct {
	ID      string            `json:"id"`
	Object  string            `json:"object"` // "chat.completion.chunk"
	Created int64             `json:"created"`
	Model   string            `json:"model"`
	Choices []ChatChunkChoice `json:"choices"`
	Usage   *Usage            `json:"usage,omitempty"`
}

// ChatChunkChoice is one choice's part in a chunk.
type ChatChunkChoice struct {
	Index        int     `json:"index"`
	FinishReason *string `json:"finish_reason"`
	Delta        Delta   `json:"delta"`
}

// Delta is what a chunk adds to a choice. MLflow writes role and content
// as null when absent.
type Delta struct {
	Role      *string         `json:"role"`
	Content   *string         `json:"content"`
	ToolCalls json.RawMessage `json:"tool_calls,omitempty"`
}

// Ptr returns a pointer to v: for the optional fields of these types.
func Ptr[T any](v T) *T { return &v }

// String describes the request briefly (no message content), for logs.
func (r *ChatRequest) String() string {
	return fmt.Sprintf("chat request: %d message(s), stream=%v", len(r.Messages), r.IsStream())
}
