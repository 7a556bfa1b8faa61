package togetherai

import (
	"os"
	"strings"
	"testing"
)

// FuzzParseCompletion feeds arbitrary answers and stream events to the
// /completions parser: it never panics, and text and index are readable
// for every choice it returns.
func FuzzParseCompletion(f *testing.F) {
	for _, name := range []string{"completions.json", "completions_stream.sse"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimPrefix(line, "data: "); line != "" {
				f.Add([]byte(line))
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseCompletion(b)
		if err != nil {
			return
		}
		for i := range c.Choices {
			c.text(i)
			c.index(i)
		}
	})
}
