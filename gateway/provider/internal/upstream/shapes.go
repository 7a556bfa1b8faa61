package upstream

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berthml/berth/api/deployments"
)

// Tool is one function tool of an OpenAI-shaped request.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage // a JSON Schema object; {"type":"object"} when absent
}

// ParseTools reads OpenAI's tools array ([{type: function, function:
// {name, description, parameters}}]). Empty raw gives none.
func ParseTools(raw json.RawMessage) ([]Tool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var in []struct {
		Type     string `json:"type"`
		Function *struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("tools: %w", err)
	}
	out := make([]Tool, len(in))
	for i, t := range in {
		if t.Type != "function" || t.Function == nil || t.Function.Name == "" {
			return nil, fmt.Errorf("tools[%d]: only {\"type\": \"function\", \"function\": {\"name\": ...}} tools are supported", i)
		}
		p := t.Function.Parameters
		if len(p) == 0 || string(p) == "null" {
			p = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		out[i] = Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: p}
	}
	return out, nil
}

// ToolCall is one call of an assistant message (request or answer).
type ToolCall struct {
	ID        string
	Name      string
	Arguments string // JSON text, as OpenAI carries it
}

// ParseToolCalls reads an assistant message's tool_calls.
func ParseToolCalls(raw json.RawMessage) ([]ToolCall, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var in []struct {
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("tool_calls: %w", err)
	}
	out := make([]ToolCall, len(in))
	for i, c := range in {
		if c.Function.Name == "" {
			return nil, fmt.Errorf("tool_calls[%d]: function.name is required", i)
		}
		out[i] = ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments}
	}
	return out, nil
}

// ArgumentsObject returns a call's arguments as a JSON object ({} when
// empty); an argument string that is not a JSON object is an error.
func (c ToolCall) ArgumentsObject() (json.RawMessage, error) {
	if strings.TrimSpace(c.Arguments) == "" {
		return json.RawMessage("{}"), nil
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal([]byte(c.Arguments), &o); err != nil || o == nil {
		return nil, fmt.Errorf("tool call %s: arguments are not a JSON object", c.Name)
	}
	return json.RawMessage(c.Arguments), nil
}

// ToolCallsJSON writes calls as OpenAI's tool_calls array (nil for none).
func ToolCallsJSON(calls []ToolCall) json.RawMessage {
	if len(calls) == 0 {
		return nil
	}
	type fn struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	}
	type call struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Function fn     `json:"function"`
	}
	out := make([]call, len(calls))
	for i, c := range calls {
		out[i] = call{ID: c.ID, Type: "function", Function: fn{Name: c.Name, Arguments: c.Arguments}}
	}
	b, _ := json.Marshal(out)
	return b
}

// ToolCallDelta writes one streamed tool-call fragment as OpenAI's
// delta.tool_calls ([{index, id?, type?, function: {name?, arguments}}]).
func ToolCallDelta(index int, id, name, args string) json.RawMessage {
	m := map[string]any{"index": index}
	f := map[string]any{"arguments": args}
	if id != "" {
		m["id"], m["type"] = id, "function"
	}
	if name != "" {
		f["name"] = name
	}
	m["function"] = f
	b, _ := json.Marshal([]any{m})
	return b
}

// Part is one part of a message's content.
type Part struct {
	Text string // for a text part
	// For an image part (OpenAI's image_url): either a data: URL decoded
	// to MediaType and Data, or a URL.
	Image     bool
	URL       string
	MediaType string
	Data      string // base64, as in the data: URL
}

// ParseContent reads a message's content: a string (one text part), a
// list of OpenAI parts (text, image_url), or null/absent (no parts).
func ParseContent(raw json.RawMessage) ([]Part, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []Part{{Text: s}}, nil
	}
	var in []struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		ImageURL *struct {
			URL string `json:"url"`
		} `json:"image_url"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("content is neither a string nor a list of parts")
	}
	out := make([]Part, 0, len(in))
	for i, p := range in {
		switch p.Type {
		case "text":
			out = append(out, Part{Text: p.Text})
		case "image_url":
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return nil, fmt.Errorf("content[%d]: image_url.url is required", i)
			}
			part := Part{Image: true, URL: p.ImageURL.URL}
			if rest, ok := strings.CutPrefix(p.ImageURL.URL, "data:"); ok {
				meta, data, ok := strings.Cut(rest, ",")
				mt, isB64 := strings.CutSuffix(meta, ";base64")
				if !ok || !isB64 || mt == "" {
					return nil, fmt.Errorf("content[%d]: a data: URL must be data:<media type>;base64,<data>", i)
				}
				if _, err := base64.StdEncoding.DecodeString(data); err != nil {
					return nil, fmt.Errorf("content[%d]: the data: URL is not valid base64", i)
				}
				part.URL, part.MediaType, part.Data = "", mt, data
			}
			out = append(out, part)
		default:
			return nil, fmt.Errorf("content[%d]: part type %q is not supported (text, image_url)", i, p.Type)
		}
	}
	return out, nil
}

// TextOf joins the text parts of content; images are an error (for
// providers and roles that take text only).
func TextOf(raw json.RawMessage) (string, error) {
	parts, err := ParseContent(raw)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Image {
			return "", fmt.Errorf("this message takes text only")
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// ToolChoice is OpenAI's tool_choice: Mode is "auto", "none", "required"
// or "function" (then Name is set); "" when absent.
type ToolChoice struct {
	Mode string
	Name string
}

// ParseToolChoice reads tool_choice from a request's extra members.
func ParseToolChoice(extra deployments.Extra) (ToolChoice, error) {
	raw, ok := extra["tool_choice"]
	if !ok || string(raw) == "null" {
		return ToolChoice{}, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch s {
		case "auto", "none", "required":
			return ToolChoice{Mode: s}, nil
		}
		return ToolChoice{}, fmt.Errorf("tool_choice %q is not auto, none or required", s)
	}
	var o struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || o.Type != "function" || o.Function.Name == "" {
		return ToolChoice{}, fmt.Errorf("tool_choice must be a string or {\"type\": \"function\", \"function\": {\"name\": ...}}")
	}
	return ToolChoice{Mode: "function", Name: o.Function.Name}, nil
}

// Float reads a number from extra (ok false when absent or null).
func Float(extra deployments.Extra, name string) (v float64, ok bool, err error) {
	raw, present := extra[name]
	if !present || string(raw) == "null" {
		return 0, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, false, fmt.Errorf("%s must be a number", name)
	}
	return v, true, nil
}

// Int reads an integer from extra (ok false when absent or null).
func Int(extra deployments.Extra, name string) (v int, ok bool, err error) {
	raw, present := extra[name]
	if !present || string(raw) == "null" {
		return 0, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, false, fmt.Errorf("%s must be an integer", name)
	}
	return v, true, nil
}
