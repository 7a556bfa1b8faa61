package bedrock

import (
	"encoding/json"
	"strings"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// converseRequest is the body of Converse and ConverseStream.
type converseRequest struct {
	Messages        []message       `json:"messages"`
	System          []block         `json:"system,omitempty"`
	InferenceConfig map[string]any  `json:"inferenceConfig,omitempty"`
	ToolConfig      *toolConfig     `json:"toolConfig,omitempty"`
	Additional      json.RawMessage `json:"additionalModelRequestFields,omitempty"`
}

type message struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

// block is a ContentBlock (or SystemContentBlock: text only).
type block struct {
	Text       *string     `json:"text,omitempty"`
	Image      *image      `json:"image,omitempty"`
	ToolUse    *toolUse    `json:"toolUse,omitempty"`
	ToolResult *toolResult `json:"toolResult,omitempty"`
}

type image struct {
	Format string `json:"format"`
	Source struct {
		Bytes string `json:"bytes"` // base64
	} `json:"source"`
}

type toolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type toolResult struct {
	ToolUseID string  `json:"toolUseId"`
	Content   []block `json:"content"`
}

type toolConfig struct {
	Tools      []toolSpecWrap `json:"tools"`
	ToolChoice map[string]any `json:"toolChoice,omitempty"`
}

type toolSpecWrap struct {
	ToolSpec toolSpec `json:"toolSpec"`
}

type toolSpec struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	InputSchema struct {
		JSON json.RawMessage `json:"json"`
	} `json:"inputSchema"`
}

func text(s string) block { return block{Text: &s} }

// converseBody translates a gateway chat request.
func (p *Provider) converseBody(req *deployments.ChatRequest) (*converseRequest, error) {
	if req.N != nil && *req.N != 1 {
		return nil, p.up.Invalid("'n' must be '1' for the Bedrock provider. Received value: '%d'.", *req.N)
	}
	out := &converseRequest{}
	inf := map[string]any{}
	if req.MaxTokens != nil {
		inf["maxTokens"] = *req.MaxTokens
	}
	if req.Temperature != nil {
		inf["temperature"] = 0.5 * *req.Temperature
	}
	if len(req.Stop) > 0 {
		inf["stopSequences"] = req.Stop
	}
	if v, ok, err := upstream.Float(req.Extra, "top_p"); err != nil {
		return nil, p.up.Invalid("%v", err)
	} else if ok {
		inf["topP"] = v
	}
	if len(inf) > 0 {
		out.InferenceConfig = inf
	}
	if raw, ok := req.Extra["additionalModelRequestFields"]; ok {
		out.Additional = raw
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "developer":
			s, err := upstream.TextOf(m.Content)
			if err != nil {
				return nil, p.up.Invalid("messages[%d]: %v", i, err)
			}
			out.System = append(out.System, text(s))
		case "user", "assistant":
			blocks, err := p.blocks(m)
			if err != nil {
				return nil, p.up.Invalid("messages[%d]: %v", i, err)
			}
			out.append(m.Role, blocks)
		case "tool":
			s, err := upstream.TextOf(m.Content)
			if err != nil {
				return nil, p.up.Invalid("messages[%d]: %v", i, err)
			}
			if m.ToolCallID == "" {
				return nil, p.up.Invalid("messages[%d]: a tool message needs tool_call_id", i)
			}
			out.append("user", []block{{ToolResult: &toolResult{ToolUseID: m.ToolCallID, Content: []block{text(s)}}}})
		default:
			return nil, p.up.Invalid("messages[%d]: role %q is not one of system, user, assistant, tool", i, m.Role)
		}
	}
	if len(out.Messages) == 0 {
		return nil, p.up.Invalid("messages: Bedrock needs at least one user or assistant message")
	}
	tools, err := upstream.ParseTools(req.Tools)
	if err != nil {
		return nil, p.up.Invalid("%v", err)
	}
	if len(tools) > 0 {
		out.ToolConfig = &toolConfig{}
		for _, t := range tools {
			s := toolSpec{Name: t.Name, Description: t.Description}
			s.InputSchema.JSON = t.Parameters
			out.ToolConfig.Tools = append(out.ToolConfig.Tools, toolSpecWrap{s})
		}
		tc, err := upstream.ParseToolChoice(req.Extra)
		if err != nil {
			return nil, p.up.Invalid("%v", err)
		}
		switch tc.Mode {
		case "auto":
			out.ToolConfig.ToolChoice = map[string]any{"auto": map[string]any{}}
		case "required":
			out.ToolConfig.ToolChoice = map[string]any{"any": map[string]any{}}
		case "function":
			out.ToolConfig.ToolChoice = map[string]any{"tool": map[string]any{"name": tc.Name}}
		case "none":
			out.ToolConfig = nil // Converse has no "none": send no tools
		}
	}
	return out, nil
}

// append adds blocks under role, merging with the last message of the
// same role (Converse wants roles to alternate).
func (r *converseRequest) append(role string, blocks []block) {
	if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == role {
		r.Messages[n-1].Content = append(r.Messages[n-1].Content, blocks...)
		return
	}
	r.Messages = append(r.Messages, message{Role: role, Content: blocks})
}

// imageFormats are the formats Converse's ImageBlock takes.
var imageFormats = map[string]string{"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}

func (p *Provider) blocks(m deployments.Message) ([]block, error) {
	parts, err := upstream.ParseContent(m.Content)
	if err != nil {
		return nil, err
	}
	var out []block
	for _, pt := range parts {
		switch {
		case !pt.Image:
			if pt.Text != "" {
				out = append(out, text(pt.Text))
			}
		case pt.URL != "":
			return nil, errImageURL
		default:
			f, ok := imageFormats[strings.ToLower(pt.MediaType)]
			if !ok {
				return nil, errImageFormat
			}
			img := &image{Format: f}
			img.Source.Bytes = pt.Data
			out = append(out, block{Image: img})
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
		out = append(out, block{ToolUse: &toolUse{ToolUseID: c.ID, Name: c.Name, Input: in}})
	}
	if len(out) == 0 {
		out = []block{text(" ")} // Converse rejects an empty content list and blank text
	}
	return out, nil
}

type simpleError string

func (e simpleError) Error() string { return string(e) }

const (
	errImageURL    = simpleError("Bedrock takes images as data: URLs only")
	errImageFormat = simpleError("Bedrock takes png, jpeg, gif or webp images")
)

// converseResponse is Converse's answer.
type converseResponse struct {
	Output struct {
		Message struct {
			Role    string `json:"role"`
			Content []struct {
				Text    *string `json:"text"`
				ToolUse *struct {
					ToolUseID string          `json:"toolUseId"`
					Name      string          `json:"name"`
					Input     json.RawMessage `json:"input"`
				} `json:"toolUse"`
			} `json:"content"`
		} `json:"message"`
	} `json:"output"`
	StopReason string `json:"stopReason"`
	Usage      *usage `json:"usage"`
}

type usage struct {
	InputTokens  *int `json:"inputTokens"`
	OutputTokens *int `json:"outputTokens"`
	TotalTokens  *int `json:"totalTokens"`
}

func (u *usage) usage() deployments.Usage {
	if u == nil {
		return deployments.Usage{}
	}
	return deployments.Usage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: u.TotalTokens}
}

// finishReason maps Converse's stopReason to OpenAI's finish_reason.
func finishReason(s string) *string {
	switch s {
	case "":
		return nil
	case "max_tokens", "model_context_window_exceeded":
		return deployments.Ptr("length")
	case "tool_use":
		return deployments.Ptr("tool_calls")
	case "guardrail_intervened", "content_filtered":
		return deployments.Ptr("content_filter")
	}
	return deployments.Ptr("stop")
}

// parseConverse reads a Converse answer: its text (nil without text
// blocks) and tool calls.
func parseConverse(b []byte) (*converseResponse, *string, []upstream.ToolCall, error) {
	var r converseResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, nil, nil, err
	}
	var txt *string
	var calls []upstream.ToolCall
	for _, c := range r.Output.Message.Content {
		switch {
		case c.ToolUse != nil:
			args := string(c.ToolUse.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			calls = append(calls, upstream.ToolCall{ID: c.ToolUse.ToolUseID, Name: c.ToolUse.Name, Arguments: args})
		case c.Text != nil:
			if txt == nil {
				txt = new(string)
			}
			*txt += *c.Text
		}
	}
	return &r, txt, calls, nil
}
