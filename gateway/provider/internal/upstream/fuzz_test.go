package upstream_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// FuzzOpenAIShapes feeds arbitrary answers to the OpenAI-shape parsers
// that Mistral and Together AI answers go through: they never panic, and
// what they return encodes again.
func FuzzOpenAIShapes(f *testing.F) {
	for _, s := range []string{
		`{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi","tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}`,
		`{"id":"x","choices":[{"index":0,"delta":{"content":"a"},"text":"a","finish_reason":null}]}`,
		`{"data":[{"embedding":[0.1,2e3],"index":0}],"usage":{"prompt_tokens":3,"total_tokens":3}}`,
		`{"choices":[{"message":{"tool_calls":[{"id":1}]}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := upstream.ParseOpenAIChat(b); err == nil {
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("chat answer does not encode: %v", err)
			}
		}
		if r, err := upstream.ParseOpenAIChatChunk(b); err == nil {
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("chunk does not encode: %v", err)
			}
		}
		if r, err := upstream.ParseOpenAIEmbeddings(b); err == nil {
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("embeddings do not encode: %v", err)
			}
		}
	})
}

func TestParseContent(t *testing.T) {
	for _, c := range []struct {
		in      string
		n       int
		wantErr bool
	}{
		{`"hi"`, 1, false},
		{`null`, 0, false},
		{`[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]`, 2, false},
		{`[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]`, 1, false},
		{`[{"type":"image_url","image_url":{"url":"data:image/png,AAAA"}}]`, 0, true},
		{`[{"type":"image_url","image_url":{"url":"data:image/png;base64,!!"}}]`, 0, true},
		{`[{"type":"image_url"}]`, 0, true},
		{`[{"type":"input_audio"}]`, 0, true},
		{`3`, 0, true},
	} {
		parts, err := upstream.ParseContent(json.RawMessage(c.in))
		if (err != nil) != c.wantErr || len(parts) != c.n {
			t.Errorf("ParseContent(%s) = %d parts, %v", c.in, len(parts), err)
		}
	}
}

func TestToolsAndChoice(t *testing.T) {
	tools, err := upstream.ParseTools(json.RawMessage(`[{"type":"function","function":{"name":"f"}}]`))
	if err != nil || len(tools) != 1 || !bytes.Contains(tools[0].Parameters, []byte(`"object"`)) {
		t.Errorf("tools %+v %v", tools, err)
	}
	for _, bad := range []string{`[{"type":"retrieval"}]`, `{}`, `[{"type":"function","function":{}}]`} {
		if _, err := upstream.ParseTools(json.RawMessage(bad)); err == nil {
			t.Errorf("ParseTools(%s): no error", bad)
		}
	}
	calls, err := upstream.ParseToolCalls(json.RawMessage(`[{"id":"1","function":{"name":"f","arguments":""}}]`))
	if err != nil || len(calls) != 1 {
		t.Fatalf("calls %v %v", calls, err)
	}
	if o, err := calls[0].ArgumentsObject(); err != nil || string(o) != "{}" {
		t.Errorf("empty arguments: %s %v", o, err)
	}
	if _, err := (upstream.ToolCall{Arguments: "[1]"}).ArgumentsObject(); err == nil {
		t.Error("a list as arguments: no error")
	}
	if got := string(upstream.ToolCallsJSON(calls)); got != `[{"id":"1","type":"function","function":{"name":"f","arguments":""}}]` {
		t.Errorf("ToolCallsJSON %s", got)
	}
}
