package openai

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/berthml/berth/api/deployments"
)

var chatBodies = []string{
	`{"model":"chat","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there, how are you today?"}],"max_tokens":32}`,
	`{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}],"name":"n","x":{"a":1}}],"temperature":0.7,"n":2,"stop":["a","b"],"stream":true,"tools":[{"type":"function"}],"user":"me","seed":7}`,
	`{"messages":[{"role":"assistant","tool_calls":[{"id":"1"}]},{"role":"tool","content":null,"tool_call_id":"1"}],"metadata":{"k":"v"}}`,
	`{"messages":[{"role":"user","content":"a < b & c > d"}]}`,
	`{"messages":[{"role":"user","content":"caf\u00e9 \u2028"}],"temperature":1e-7,"n":1}`,
	`{"messages":[{"role":"us\"er","content":"x"}],"zz":{ "spaced" : [1, 2] },"aa":null}`,
	`{"messages":[{"role":"user","content":"x","role2":"y"}],"temperature":2e21,"stop":[],"model":"m"}`,
	`{"messages":[],"temperature":-0.0}`, `{"stop":[""]}`, `{}`,
}

// FuzzAppendChat: wherever appendChat writes a request, it writes
// json.Marshal's bytes.
func FuzzAppendChat(f *testing.F) {
	for _, s := range chatBodies {
		f.Add(s, "gpt-4o-mini", true)
	}
	f.Fuzz(func(t *testing.T, body, model string, defaults bool) {
		var r deployments.ChatRequest
		if json.Unmarshal([]byte(body), &r) != nil {
			return
		}
		r.Model = model
		if defaults && r.Temperature == nil {
			r.Temperature, r.N = deployments.Ptr(0.0), deployments.Ptr(1)
		}
		want, err := json.Marshal(r)
		got, ok := appendChat(nil, &r)
		if !ok {
			return
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("appendChat(%q) =\n%s\njson.Marshal:\n%s (%v)", body, got, want, err)
		}
	})
}

// TestAppendChatTaken: the requests clients send take appendChat (else
// the fuzz test above would pass with a writer that never writes), and
// what it cannot write exactly goes to json.Marshal.
func TestAppendChatTaken(t *testing.T) {
	for i, s := range chatBodies {
		var r deployments.ChatRequest
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatal(err)
		}
		_, ok := appendChat(nil, &r)
		want := i < 3 || i == 7 || i == 8 || i == 9
		if ok != want {
			t.Errorf("%s: appendChat took it: %v, want %v", s, ok, want)
		}
		got, err := encode(r)
		if exp, _ := json.Marshal(r); err != nil || !bytes.Equal(got, exp) {
			t.Errorf("encode(%s) = %s, want %s (%v)", s, got, exp, err)
		}
	}
}
