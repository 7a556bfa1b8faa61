package gemini

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary answers and stream events to the
// generateContent parser: it never panics, and every tool call it returns
// has an id and JSON arguments.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"generate.json", "generate_function_call.json", "stream.sse", "error_429.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		for _, chunk := range strings.Split(string(b), "\n\n") {
			if chunk = strings.TrimSpace(strings.TrimPrefix(chunk, "data: ")); chunk != "" {
				f.Add([]byte(chunk))
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, cands, err := parse(b)
		if err != nil {
			return
		}
		r.usage()
		for _, c := range cands {
			for _, call := range c.calls {
				if call.ID == "" || !json.Valid([]byte(call.Arguments)) {
					t.Fatalf("tool call %+v", call)
				}
			}
		}
	})
}
