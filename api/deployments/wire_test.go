package deployments_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/berthml/berth/api/deployments"
)

// canon re-encodes JSON with sorted keys, so two documents compare by value.
func canon(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestRequestsKeepUnknownMembers(t *testing.T) {
	tests := []struct {
		name string
		in   string
		dst  func() any
	}{
		{"chat with extras and tools", `{"messages":[{"role":"user","content":"hi","x_extra":{"a":1}}],"temperature":0.5,"n":2,"stop":["END"],"max_tokens":20,"stream":true,"top_p":0.9,"response_format":{"type":"json_object"},"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto","user":"u1"}`,
			func() any { return &deployments.ChatRequest{} }},
		{"chat with tool messages", `{"model":"chat","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"42","name":"f"}]}`,
			func() any { return &deployments.ChatRequest{} }},
		{"chat with content parts", `{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}`,
			func() any { return &deployments.ChatRequest{} }},
		{"completions with extras", `{"prompt":"p","suffix":"s","echo":true,"foo":"bar","n":1}`,
			func() any { return &deployments.CompletionsRequest{} }},
		{"embeddings, list input", `{"input":["a","b"],"dimensions":2,"encoding_format":"float"}`,
			func() any { return &deployments.EmbeddingsRequest{} }},
		{"embeddings, token input", `{"model":"e","input":[[1,2],[3]]}`,
			func() any { return &deployments.EmbeddingsRequest{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.dst()
			if err := json.Unmarshal([]byte(tt.in), v); err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := canon(t, out), canon(t, []byte(tt.in)); got != want {
				t.Errorf("round trip:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestChatRequestFields(t *testing.T) {
	var r deployments.ChatRequest
	if err := json.Unmarshal([]byte(`{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"temperature":0,"stream":true,"foo":1}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Model != "m" || len(r.Messages) != 2 || r.Temperature == nil || *r.Temperature != 0 || !r.IsStream() || r.N != nil {
		t.Errorf("decoded %+v", r)
	}
	if text, ok := r.Messages[1].Text(); !ok || text != "hi" {
		t.Errorf("Text() = %q, %v", text, ok)
	}
	if string(r.Extra["foo"]) != "1" || len(r.Extra) != 1 {
		t.Errorf("Extra = %v", r.Extra)
	}
}

func TestFieldErrors(t *testing.T) {
	tests := []struct {
		in    string
		field string
	}{
		{`{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, "temperature"},
		{`{"messages":[{"role":"user","content":"x"}],"stop":"END"}`, "stop"},
		{`{"messages":"x"}`, "messages"},
		{`{"messages":[{"role":"user","content":"x"}],"n":1.5}`, "n"},
		{`{"messages":[{"role":7}]}`, "messages"},
	}
	for _, tt := range tests {
		var r deployments.ChatRequest
		err := json.Unmarshal([]byte(tt.in), &r)
		var fe *deployments.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: error %v, want a FieldError for %q", tt.in, err, tt.field)
		}
	}
	for _, in := range []string{`[1,2]`, `null`, `"x"`, `{`} {
		var r deployments.ChatRequest
		if err := json.Unmarshal([]byte(in), &r); err == nil {
			t.Errorf("%s: decoded without an error", in)
		}
	}
}

// The answers encode as MLflow 2.17.2 wrote them (transcript.jsonl seq 42,
// 44, 48): tool_calls null, role/content null in a delta.
func TestAnswersEncodeAsMLflow(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"chat", deployments.ChatResponse{ID: "chatcmpl-1", Object: "chat.completion", Created: 1700000000, Model: "gpt-4o-mini",
			Choices: []deployments.ChatChoice{{Index: 0, Message: deployments.ResponseMessage{Role: "assistant", Content: deployments.Ptr("echo: hello there")}, FinishReason: deployments.Ptr("stop")}},
			Usage:   deployments.NewUsage(5, 3)},
			`{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"echo: hello there","tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}`},
		{"chat chunk", deployments.ChatChunk{ID: "chatcmpl-1", Object: "chat.completion.chunk", Created: 1700000000, Model: "gpt-4o-mini",
			Choices: []deployments.ChatChunkChoice{{Index: 0, Delta: deployments.Delta{Content: deployments.Ptr("hello ")}}}},
			`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"finish_reason":null,"delta":{"role":null,"content":"hello "}}]}`},
		{"embeddings", deployments.EmbeddingsResponse{Object: "list", Model: "e", Data: []deployments.Embedding{{Object: "embedding", Embedding: []float64{0.1, 0}, Index: 0}},
			Usage: deployments.Usage{PromptTokens: deployments.Ptr(2), TotalTokens: deployments.Ptr(2)}},
			`{"object":"list","data":[{"object":"embedding","embedding":[0.1,0],"index":0}],"model":"e","usage":{"prompt_tokens":2,"total_tokens":2}}`},
		{"endpoint", deployments.Endpoint{Name: "chat-limited", EndpointType: deployments.TypeChat, Model: deployments.EndpointModel{Name: deployments.Ptr("gpt-4o-mini"), Provider: "openai"},
			EndpointURL: "/gateway/chat-limited/invocations", Limit: &deployments.Limit{Calls: 2, RenewalPeriod: "minute"}},
			`{"name":"chat-limited","endpoint_type":"llm/v1/chat","model":{"name":"gpt-4o-mini","provider":"openai"},"endpoint_url":"/gateway/chat-limited/invocations","limit":{"calls":2,"key":null,"renewal_period":"minute"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("\n got %s\nwant %s", b, tt.want)
			}
		})
	}
}

func TestEmbeddingsTexts(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{`{"input":"one"}`, []string{"one"}, false},
		{`{"input":["a","b"]}`, []string{"a", "b"}, false},
		{`{"input":[[1,2]]}`, nil, true},
		{`{"input":3}`, nil, true},
	}
	for _, tt := range tests {
		var r deployments.EmbeddingsRequest
		if err := json.Unmarshal([]byte(tt.in), &r); err != nil {
			t.Fatal(err)
		}
		got, err := r.Texts()
		if (err != nil) != tt.err || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Texts() = %v, %v", tt.in, got, err)
		}
	}
}

func TestErrorDetail(t *testing.T) {
	tests := map[string]string{
		`{"detail":"Not Found"}`:                                                   "Not Found",
		`{"error":"Rate limit exceeded: 2 per 1 minute"}`:                          "Rate limit exceeded: 2 per 1 minute",
		`{"error":{"message":"Rate limit reached","type":"requests","code":null}}`: "Rate limit reached",
		`{"detail":[{"loc":["body"],"msg":"field required"}]}`:                     "",
		`Internal Server Error`:                                                    "",
	}
	for in, want := range tests {
		if got := deployments.ErrorDetail([]byte(in)); got != want {
			t.Errorf("ErrorDetail(%s) = %q, want %q", in, got, want)
		}
	}
}
