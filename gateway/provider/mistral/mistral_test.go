package mistral_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstreamtest"
	_ "github.com/berthml/berth/gateway/provider/mistral"
)

const key = "mistral-secret-key"

func build(t *testing.T, srv *upstreamtest.Server) provider.Provider {
	return upstreamtest.Build(t, "mistral", "mistral-small-latest", deployments.TypeChat,
		map[string]any{"mistral_api_key": key, "mistral_api_base": srv.URL + "/v1"})
}

func sent(t *testing.T, srv *upstreamtest.Server) map[string]any {
	t.Helper()
	r := srv.Last(t)
	if r.Header.Get("Authorization") != "Bearer "+key {
		t.Errorf("Authorization %q", r.Header.Get("Authorization"))
	}
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatal(err)
	}
	m["_path"] = r.Path
	return m
}

func TestChat(t *testing.T) {
	for _, c := range []struct{ fixture, want string }{
		{"chat.json", `{"id":"cmpl-e5cc70bb28c444948073e77776eb30ef","object":"chat.completion","created":1702256327,"model":"mistral-small-latest","choices":[{"index":0,"message":{"role":"assistant","content":"The best French cheese depends on personal preference.","tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":16,"completion_tokens":34,"total_tokens":50}}`},
		{"chat_tool_calls.json", `{"id":"7cd2e3a6c2f54b09a7d0f7b5fd0c6e7a","object":"chat.completion","created":1702256327,"model":"mistral-large-latest","choices":[{"index":0,"message":{"role":"assistant","content":"","tool_calls":[{"id":"D681PevKs","type":"function","function":{"name":"retrieve_payment_status","arguments":"{\"transaction_id\": \"T1001\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":167,"completion_tokens":23,"total_tokens":190}}`},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, c.fixture)})
			var req deployments.ChatRequest
			json.Unmarshal([]byte(`{"messages":[{"role":"user","content":"cheese?"}],"temperature":0.7,"tools":[{"type":"function","function":{"name":"f"}}],"random_seed":3}`), &req)
			resp, err := build(t, srv).Chat(context.Background(), &req)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := json.Marshal(resp); string(got) != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			s := sent(t, srv)
			// MLflow passes chat through: temperature as given, extra members kept.
			if s["_path"] != "/v1/chat/completions" || s["model"] != "mistral-small-latest" || s["temperature"] != 0.7 || s["random_seed"] != 3.0 || s["tools"] == nil || s["stream"] != nil {
				t.Errorf("sent %v", s)
			}
		})
	}
}

func TestCompletions(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "chat.json")})
	resp, err := build(t, srv).Completions(context.Background(), &deployments.CompletionsRequest{Prompt: "cheese?",
		Temperature: deployments.Ptr(1.0), Stop: []string{"x"}, N: deployments.Ptr(1), MaxTokens: deployments.Ptr(9)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Object != "text_completion" || resp.Choices[0].Text != "The best French cheese depends on personal preference." || resp.Model != "mistral-small-latest" {
		t.Errorf("got %+v", resp)
	}
	s := sent(t, srv)
	msgs, _ := json.Marshal(s["messages"])
	if string(msgs) != `[{"content":"cheese?","role":"user"}]` || s["temperature"] != 0.5 || s["stop"] != nil || s["n"] != nil || s["max_tokens"] != 9.0 {
		t.Errorf("sent %v", s)
	}
}

func TestStreams(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{ContentType: "text/event-stream", Body: upstreamtest.Fixture(t, "stream.sse")})
	p := build(t, srv)
	var text strings.Builder
	var u *deployments.Usage
	err := p.ChatStream(context.Background(), &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", "hi")}},
		func(ch *deployments.ChatChunk) error {
			if ch.Object != "chat.completion.chunk" || ch.ID != "cmpl-8f0d" {
				t.Errorf("chunk %+v", ch)
			}
			if c := ch.Choices[0].Delta.Content; c != nil {
				text.WriteString(*c)
			}
			if ch.Usage != nil {
				u = ch.Usage
			}
			return nil
		})
	if err != nil || text.String() != "Bonjour !" || u == nil || *u.TotalTokens != 13 {
		t.Errorf("text %q usage %v err %v", text.String(), u, err)
	}
	if s := sent(t, srv); s["stream"] != true {
		t.Errorf("sent %v", s)
	}
	text.Reset()
	err = p.CompletionsStream(context.Background(), &deployments.CompletionsRequest{Prompt: "hi"}, func(ch *deployments.CompletionsChunk) error {
		if c := ch.Choices[0].Delta.Content; c != nil {
			text.WriteString(*c)
		}
		return nil
	})
	if err != nil || text.String() != "Bonjour !" {
		t.Errorf("completions stream %q %v", text.String(), err)
	}
}

func TestEmbeddings(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "embeddings.json")})
	resp, err := build(t, srv).Embeddings(context.Background(), &deployments.EmbeddingsRequest{Input: json.RawMessage(`["a","b"]`)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(resp)
	want := `{"object":"list","data":[{"object":"embedding","embedding":[-0.016632080078125,0.0701904296875,0.03143310546875],"index":0},{"object":"embedding","embedding":[-0.0230560302734375,0.039337158203125,0.0521240234375],"index":1}],"model":"mistral-small-latest","usage":{"prompt_tokens":15,"total_tokens":15}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if s := sent(t, srv); s["_path"] != "/v1/embeddings" || s["model"] != "mistral-small-latest" {
		t.Errorf("sent %v", s)
	}
}

func TestErrors(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Status: 429, Header: map[string]string{"Retry-After": "2"}, Body: upstreamtest.Fixture(t, "error_429.json")})
	_, err := build(t, srv).Chat(context.Background(), &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", "hi")}})
	pe, ok := provider.AsError(err)
	if !ok || pe.Status != 429 || pe.Message != "Requests rate limit exceeded" || pe.RetryAfter != 2*time.Second || pe.Provider != "mistral" {
		t.Errorf("got %#v", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Error("the error names the key")
	}
	srv.Set(upstreamtest.Answer{ContentType: "text/event-stream", Body: []byte("data: {not json\n\n")})
	err = build(t, srv).ChatStream(context.Background(), &deployments.ChatRequest{}, func(*deployments.ChatChunk) error { return nil })
	if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindBadResponse {
		t.Errorf("bad event: %v", err)
	}
	spec, _ := provider.Lookup("mistral")
	if _, err := spec.New(provider.Config{}); err == nil || !strings.Contains(err.Error(), "mistral_api_key") {
		t.Errorf("no key: %v", err)
	}
}
