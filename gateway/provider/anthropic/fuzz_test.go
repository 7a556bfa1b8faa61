package anthropic

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// FuzzParseMessage feeds arbitrary answers to the /v1/messages parser: it
// never panics, and the tool calls it returns carry JSON arguments.
func FuzzParseMessage(f *testing.F) {
	for _, name := range []string{"message.json", "message_tool_use.json", "error_overloaded.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"content":[{"type":"tool_use","input":null}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, calls, err := parseMessage(b)
		if err != nil {
			return
		}
		for _, c := range calls {
			if !json.Valid([]byte(c.Arguments)) {
				t.Fatalf("tool call arguments %q are not JSON", c.Arguments)
			}
		}
	})
}

// FuzzStreamEvents feeds arbitrary event data to the stream translator:
// it never panics, and every tool-call fragment it emits is JSON.
func FuzzStreamEvents(f *testing.F) {
	for _, name := range []string{"stream.sse", "stream_tool_use.sse", "stream_error.sse"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		var events []string
		for _, line := range strings.Split(string(b), "\n") {
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				events = append(events, d)
			}
		}
		f.Add(strings.Join(events, "\n"))
	}
	f.Fuzz(func(t *testing.T, s string) {
		tr := &translator{}
		for _, data := range strings.Split(s, "\n") {
			pc, err := tr.next([]byte(data))
			if err != nil || pc == nil {
				continue
			}
			if pc.toolCalls != nil && !json.Valid(pc.toolCalls) {
				t.Fatalf("tool calls %s are not JSON", pc.toolCalls)
			}
		}
	})
}
