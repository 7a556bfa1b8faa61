package openai

import (
	"encoding/json"
	"reflect"
	"testing"
)

var chatAnswers = []string{
	`{"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"echo: hello there, how are you today?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16}}`,
	` { "id" : "x", "choices" : [ { "index" : 1 , "message" : { "role" : "assistant" , "content" : null , "tool_calls" : [ {"id":"t","type":"function"} ] }, "finish_reason" : null, "logprobs": null } ] , "system_fingerprint":"fp", "usage": {"prompt_tokens":1,"total_tokens":null} } `,
	`{"id":"x","choices":[{"message":{"content":"caf\u00e9 \"q\" \n","refusal":null}}],"usage":null,"created":null}`,
	`{"id":"x","choices":[],"model":"m"}`, `{"choices":null}`, `{}`,
	`{"usage":{"prompt_tokens":-3}}`, `{"model":"caf` + "\xff" + `"}`, `{"choices":[{"message":{"tool_calls":null}}]}`,
	// encoding/json's from here on
	`{"ID":"x"}`, `{"id":"x","id":"y"}`, `{"created":1.5}`, `{"created":"1"}`, `{"choices":[null]}`, `{"choices":[{"index":1e2}]}`,
	`{"choices":[{"message":{"Content":"x"}}]}`, `{"id":1}`, `[]`, `null`, ``, `{"id":"x"`,
}

// FuzzParseChat: wherever parseChat reads an answer, it reads what
// encoding/json reads.
func FuzzParseChat(f *testing.F) {
	for _, s := range chatAnswers {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var got upstreamChat
		if !parseChat([]byte(body), &got) {
			return
		}
		var want upstreamChat
		if err := json.Unmarshal([]byte(body), &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("parseChat(%q) = %+v, encoding/json %+v (%v)", body, got, want, err)
		}
	})
}

// TestParseChatTaken: the answers upstreams send take the walk (else the
// fuzz test above would pass with a walk that never reads), and what it
// is unsure of goes to encoding/json.
func TestParseChatTaken(t *testing.T) {
	for i, s := range chatAnswers {
		var u upstreamChat
		got := parseChat([]byte(s), &u)
		if want := i < 9; got != want {
			t.Errorf("%s: walked: %v, want %v", s, got, want)
		}
	}
}
