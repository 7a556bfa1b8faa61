package bedrock

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// FuzzParseConverse feeds arbitrary answers to the Converse parser: it
// never panics, and tool calls carry JSON arguments.
func FuzzParseConverse(f *testing.F) {
	for _, name := range []string{"converse.json", "converse_tool_use.json", "error_throttling.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _, calls, err := parseConverse(b)
		if err != nil {
			return
		}
		finishReason(r.StopReason)
		r.Usage.usage()
		for _, c := range calls {
			if !json.Valid([]byte(c.Arguments)) {
				t.Fatalf("arguments %q", c.Arguments)
			}
		}
	})
}

// FuzzEventStream feeds arbitrary bytes to the event-stream decoder and
// translator the adapter uses: they never panic, and tool-call fragments
// are JSON.
func FuzzEventStream(f *testing.F) {
	b, err := os.ReadFile("testdata/converse_stream.json")
	if err != nil {
		f.Fatal(err)
	}
	var events []struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(b, &events); err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, e := range events {
		m := eventstream.Message{Payload: e.Payload}
		m.Headers.Set(":message-type", eventstream.StringValue("event"))
		m.Headers.Set(":event-type", eventstream.StringValue(e.Type))
		enc.Encode(&buf, m)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		dec := eventstream.NewDecoder()
		r := bytes.NewReader(b)
		tr := &translator{}
		for range 64 {
			m, err := dec.Decode(r, nil)
			if err != nil {
				return
			}
			pc, err := tr.next("bedrock", m)
			if err == nil && pc != nil && pc.toolCalls != nil && !json.Valid(pc.toolCalls) {
				t.Fatalf("tool calls %s", pc.toolCalls)
			}
		}
	})
}
