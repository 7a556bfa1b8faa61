package tracing_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/berthml/berth/tracing"
)

// TestPreview follows MLflow's _get_truncated_preview case by case.
func TestPreview(t *testing.T) {
	long := strings.Repeat("ab", 600)  // 1,200 characters
	wide := strings.Repeat("é", 1001)  // 1,001 characters, 2,002 bytes
	exact := strings.Repeat("x", 1000) // at the limit: kept whole
	for _, c := range []struct {
		name, raw, req, resp string
	}{
		{"empty", "", "", ""},
		{"plain object", `{"question": "hi"}`, `{"question": "hi"}`, `{"question": "hi"}`},
		{"not JSON", `hello`, `hello`, `hello`},
		{"JSON string", `"hello"`, `"hello"`, `"hello"`},
		{"list", `[1, 2]`, `[1, 2]`, `[1, 2]`},
		{"chat messages: last user, last assistant",
			`{"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "first"}, {"role": "assistant", "content": "reply"}, {"role": "user", "content": "second"}]}`,
			"second", "reply"},
		{"no message of the role: the last message",
			`{"messages": [{"role": "system", "content": "sys"}, {"role": "tool", "content": "tool out"}]}`,
			"tool out", "tool out"},
		{"messages without a valid one: the raw text",
			`{"messages": [{"role": "user"}], "choices": [{"message": {"role": "assistant", "content": "no"}}]}`,
			`{"messages": [{"role": "user"}], "choices": [{"message": {"role": "assistant", "content": "no"}}]}`,
			`{"messages": [{"role": "user"}], "choices": [{"message": {"role": "assistant", "content": "no"}}]}`},
		{"choices", `{"id": "c1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "answer"}}]}`, "answer", "answer"},
		{"content parts: first text part",
			`{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "u"}}, {"type": "text", "text": "look"}]}]}`,
			"look", "look"},
		{"content part a string", `{"messages": [{"role": "user", "content": ["plain part"]}]}`, "plain part", "plain part"},
		{"Responses input", `{"input": [{"role": "user", "content": "via responses"}]}`, "via responses", "via responses"},
		{"Responses output", `{"output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "done"}]}]}`, "done", "done"},
		{"ResponsesAgent request", `{"request": {"input": [{"role": "user", "content": "nested"}]}}`, "nested", "nested"},
		{"empty content: the raw text", `{"messages": [{"role": "user", "content": ""}]}`,
			`{"messages": [{"role": "user", "content": ""}]}`, `{"messages": [{"role": "user", "content": ""}]}`},
		{"at the limit", exact, exact, exact},
		{"cut", long, long[:997] + "...", long[:997] + "..."},
		{"cut by characters, not bytes", wide, strings.Repeat("é", 997) + "...", strings.Repeat("é", 997) + "..."},
		{"a long message is cut", `{"messages": [{"role": "user", "content": "` + long + `"}]}`, long[:997] + "...", long[:997] + "..."},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := tracing.RequestPreview(c.raw); got != c.req {
				t.Errorf("RequestPreview = %.80q…, want %.80q…", got, c.req)
			}
			if got := tracing.ResponsePreview(c.raw); got != c.resp {
				t.Errorf("ResponsePreview = %.80q…, want %.80q…", got, c.resp)
			}
		})
	}
}

// FuzzPreview: any text gives a preview of at most PreviewMaxLength
// characters, without panicking, and a short text that is not chat-shaped
// is its own preview.
func FuzzPreview(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"messages": [{"role": "user", "content": "x"}]}`,
		`{"request": {"request": {"input": [{"role": "user", "content": [{"type": "text", "text": "t"}]}]}}}`,
		`{"choices": [{"message": {"role": "assistant", "content": null}}]}`, strings.Repeat("é", 1200), "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, p := range []string{tracing.RequestPreview(raw), tracing.ResponsePreview(raw)} {
			if n := utf8.RuneCountInString(p); n > tracing.PreviewMaxLength {
				t.Fatalf("preview of %d characters", n)
			}
			if !strings.HasPrefix(strings.TrimLeft(raw, " \t\r\n"), "{") && utf8.RuneCountInString(raw) <= tracing.PreviewMaxLength && p != raw {
				t.Fatalf("preview %q of a short non-object %q", p, raw)
			}
		}
	})
}
