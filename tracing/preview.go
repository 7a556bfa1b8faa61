package tracing

import (
	"encoding/json"
	"unicode/utf8"
)

// Span attributes that hold a span's inputs and outputs, each a JSON text.
const (
	AttrSpanInputs  = "mlflow.spanInputs"
	AttrSpanOutputs = "mlflow.spanOutputs"
)

// PreviewMaxLength is the most characters of a request or response
// preview: MLflow's TRACE_REQUEST_RESPONSE_PREVIEW_MAX_LENGTH_OSS.
const PreviewMaxLength = 1000

// RequestPreview is a trace's request_preview computed from its root span's
// inputs attribute (a JSON text) as MLflow's client computes it
// (mlflow/tracing/utils/truncation.py): for chat-shaped inputs (OpenAI
// messages, choices, Responses input/output, a ResponsesAgent request) the
// text of the last "user" message, otherwise the attribute itself; cut to
// PreviewMaxLength characters, the last three "..." when cut.
func RequestPreview(inputs string) string { return preview(inputs, "user") }

// ResponsePreview is RequestPreview for the root span's outputs, taking the
// last "assistant" message.
func ResponsePreview(outputs string) string { return preview(outputs, "assistant") }

func preview(raw, role string) string {
	content := ""
	var obj any
	if json.Unmarshal([]byte(raw), &obj) == nil {
		if m, ok := obj.(map[string]any); ok {
			if msgs := chatMessages(m, 0); len(msgs) > 0 {
				content = messageText(lastMessage(msgs, role))
			}
		}
	}
	if content == "" {
		content = raw
	}
	if utf8.RuneCountInString(content) <= PreviewMaxLength {
		return content
	}
	n, cut := 0, 0
	for i := range content {
		if n == PreviewMaxLength-3 {
			cut = i
			break
		}
		n++
	}
	return content[:cut] + "..."
}

// chatMessages is MLflow's _try_extract_messages: the messages of an
// OpenAI-shaped request or response, or nil. depth bounds the "request"
// nesting that a hostile body could make deep.
func chatMessages(obj map[string]any, depth int) []map[string]any {
	messagesOf := func(v any) []map[string]any {
		list, _ := v.([]any)
		var out []map[string]any
		for _, item := range list {
			if m, ok := isMessage(item); ok {
				out = append(out, m)
			}
		}
		return out
	}
	if list, ok := obj["messages"].([]any); ok && len(list) > 0 {
		return messagesOf(list)
	}
	if choices, ok := obj["choices"].([]any); ok && len(choices) > 0 {
		if first, ok := choices[0].(map[string]any); ok {
			if m, ok := isMessage(first["message"]); ok {
				return []map[string]any{m}
			}
		}
	}
	if list, ok := obj["input"].([]any); ok && len(list) > 0 {
		return messagesOf(list)
	}
	if list, ok := obj["output"].([]any); ok && len(list) > 0 {
		return messagesOf(list)
	}
	if req, ok := obj["request"]; ok && depth < 8 {
		if m, ok := req.(map[string]any); ok {
			return chatMessages(m, depth+1)
		}
	}
	return nil
}

func isMessage(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	_, hasRole := m["role"]
	_, hasContent := m["content"]
	return m, hasRole && hasContent
}

// lastMessage is the last message of role, else the last message.
func lastMessage(msgs []map[string]any, role string) map[string]any {
	for i := len(msgs) - 1; i >= 0; i-- {
		if r, _ := msgs[i]["role"].(string); r == role {
			return msgs[i]
		}
	}
	return msgs[len(msgs)-1]
}

// messageText is a message's text: its content string, or the first text
// part of a content list.
func messageText(m map[string]any) string {
	switch c := m["content"].(type) {
	case string:
		return c
	case []any:
		for _, part := range c {
			switch p := part.(type) {
			case string:
				return p
			case map[string]any:
				if t, _ := p["type"].(string); t == "text" || t == "output_text" {
					s, _ := p["text"].(string)
					return s
				}
			}
		}
	}
	return ""
}
