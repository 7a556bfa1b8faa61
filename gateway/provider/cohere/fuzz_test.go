package cohere

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary lines to the stream-event, generate and embed
// parsers: they never panic.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"chat.json", "chat_stream.jsonl", "generate.json", "generate_stream.jsonl", "embed.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line != "" {
				f.Add([]byte(line))
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := parseEvent(b); err == nil {
			finishReason(e.FinishReason)
		}
		if r, err := parseGenerate(b); err == nil {
			for _, g := range r.Generations {
				finishReason(g.FinishReason)
			}
		}
		parseEmbed(b)
		var r chatResponse
		if jsonOK(b, &r) {
			r.usage()
		}
	})
}

func jsonOK(b []byte, v any) bool { return json.Unmarshal(b, v) == nil }
