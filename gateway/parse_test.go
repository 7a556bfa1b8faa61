package gateway

import (
	"reflect"
	"testing"
)

// The fast parsing path must accept exactly the bodies the checker's path
// accepts, building the same request, and leave every other body to the
// checker (whose errors are MLflow's recorded ones).

var parseSeeds = []string{
	`{"model":"chat","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello"}],"max_tokens":32,"temperature":0.2}`,
	`{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`,
	`{"messages":[{"role":"assistant","tool_calls":[{"id":"1"}]},{"role":"tool","content":null,"tool_call_id":"1"}]}`,
	`{"messages":[{"role":"assistant","tool_calls":null}]}`,
	`{"messages":[{"role":"user"}]}`, `{"messages":[{"role":"","content":"x"}]}`, `{"messages":[{"role":null,"content":"x"}]}`,
	`{"messages":[{"role":1,"content":"x"}]}`, `{"messages":[{"role":"u","content":1}]}`, `{"messages":[{"role":"u","content":"x","name":2}]}`,
	`{"messages":[null]}`, `{"messages":["x"]}`, `{"messages":[]}`, `{"messages":null}`, `{"messages":{}}`,
	`{"messages":[{"role":"u","content":"x"}],"temperature":2.5,"n":0,"max_tokens":1.0,"stop":[],"stream":"yes"}`,
	`{"messages":[{"role":"u","content":"x"}],"n":9007199254740993,"stop":["a",null],"stream":false,"tools":[],"user":"me"}`,
	`{"messages":[{"role":"u","content":"x"}],"model":5}`, `{"messages":[{"role":"u","content":"x"}],"temperature":"1"}`,
	`{"prompt":"p","n":2}`, `{"prompt":null}`, `{"prompt":3}`, `{"prompt":"p","max_tokens":0}`, `{"prompt":"p","stop":"x"}`,
	`{"input":["a"]}`, `{"input":null}`, `{"input":"a","model":"e","dimensions":3}`, `{}`,
	`[]`, ``, `  `, `null`, `{"messages": [`, `{"a":1}x`, `"s"`, `{"Messages":[{"role":"u","content":"x"}]}`,
	`{"messages":[{"role":"u\u00e9","content":"x"}],"temperature":1e-7}`,
	// split.go's walk: whitespace everywhere, repeated keys, escapes in
	// keys and values, nesting, strings holding brackets and quotes.
	" \n{ \"messages\" : [ { \"role\" : \"user\" , \"content\" : \"x\" , \"x\" : { \"a\" : [ 1 , 2 ] } } ] ,\t\"user\" : \"me\" }\r\n",
	`{"messages":[{"role":"u","content":"a","content":"b","role":"s"}],"messages":[{"role":"t","content":"c"}],"n":1,"n":2}`,
	`{"messages":[{"role":"u","content":"x"}],"us\u0065r":"me"}`, `{"messages":[{"r\u006fle":"u","content":"x"}]}`,
	`{"messages":[{"role":"u","content":"a \"}]{[\\ b","tool_calls":null,"name":null,"tool_call_id":"t"}],"x":"]}\""}`,
	`{"messages":[{"role":"u","content":"x","é":1}],"ü":true}`, `{"messages":[{"role":"u","content":"x"},{}]}`,
	`{"messages":[{"role":"u","content":"x"}],"metadata":{"a":{"b":[{},[],"}"]}},"n":null,"temperature":null}`,
}

// FuzzParseFastPath runs every body through each request type's fast path
// and checker path, under both content types and leniencies.
func FuzzParseFastPath(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s, true, false)
		f.Add(s, false, true)
	}
	f.Fuzz(func(t *testing.T, body string, lax bool, jsonCT bool) {
		ct := "text/plain"
		if jsonCT {
			ct = "application/json"
		}
		b := []byte(body)
		same(t, "chat", body, func() (any, error) { return parseChat(ct, b, lenient(lax)) },
			func() (any, error) { return checkChat(ct, b, lenient(lax)) })
		same(t, "completions", body, func() (any, error) { return parseCompletions(ct, b) },
			func() (any, error) { return checkCompletions(ct, b) })
		same(t, "embeddings", body, func() (any, error) { return parseEmbeddings(ct, b) },
			func() (any, error) { return checkEmbeddings(ct, b) })
	})
}

func same(t *testing.T, kind, body string, parse, check func() (any, error)) {
	t.Helper()
	got, gotErr := parse()
	want, wantErr := check()
	if !reflect.DeepEqual(gotErr, wantErr) {
		t.Fatalf("%s %q: error %v, checker's %v", kind, body, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s %q: request %#v, checker's %#v", kind, body, got, want)
	}
}

// TestFastPathTaken: the bodies clients send take the fast path (else the
// fuzz test above would pass with a fast path that never answers).
func TestFastPathTaken(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   func([]byte) bool
		body string
	}{
		{"chat", func(b []byte) bool { _, ok := fastChat("application/json", b, false); return ok }, parseSeeds[0]},
		{"chat tool calls", func(b []byte) bool { _, ok := fastChat("application/json", b, false); return ok }, parseSeeds[2]},
		{"chat parts on /v1", func(b []byte) bool { _, ok := fastChat("application/json", b, true); return ok }, parseSeeds[1]},
		{"chat extras", func(b []byte) bool { _, ok := fastChat("application/json", b, false); return ok }, `{"messages":[{"role":"u","content":"x","x":1}],"n":2,"stop":["a",null],"stream":false,"tools":[],"user":"me"}`},
		{"completions", func(b []byte) bool { _, ok := fastCompletions("application/json; charset=utf-8", b); return ok }, `{"prompt":"p","n":2,"echo":true}`},
		{"embeddings", func(b []byte) bool { _, ok := fastEmbeddings("application/json", b); return ok }, `{"input":["a","b"],"model":"e"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok([]byte(tc.body)) {
				t.Fatalf("%s went to the checker", tc.body)
			}
		})
	}
	if _, ok := fastChat("application/json", []byte(parseSeeds[1]), false); ok {
		t.Fatal("a list of parts passed the fast path on an MLflow route")
	}
}
