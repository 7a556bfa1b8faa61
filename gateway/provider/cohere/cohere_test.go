package cohere_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	_ "github.com/berthml/berth/gateway/provider/cohere"
	"github.com/berthml/berth/gateway/provider/internal/upstreamtest"
)

const key = "cohere-secret-key"

func build(t *testing.T, srv *upstreamtest.Server) provider.Provider {
	return upstreamtest.Build(t, "cohere", "command", deployments.TypeChat,
		map[string]any{"cohere_api_key": key, "cohere_api_base": srv.URL + "/v1"})
}

func sent(t *testing.T, srv *upstreamtest.Server) (string, string) {
	t.Helper()
	r := srv.Last(t)
	if r.Header.Get("Authorization") != "Bearer "+key {
		t.Errorf("Authorization %q", r.Header.Get("Authorization"))
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return r.Path, string(b)
}

func chat(t *testing.T, body string) *deployments.ChatRequest {
	t.Helper()
	var r deployments.ChatRequest
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

const conversation = `{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"What is an LLM?"}],"temperature":0.4,"max_tokens":50,"k":5}`

func TestChat(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "chat.json")})
	resp, err := build(t, srv).Chat(context.Background(), chat(t, conversation))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(resp)
	want := `{"id":"ac5e3a5e-3f1c-4ac6-8ee1-1b3fa3d0fd9b","object":"chat.completion","created":1767323045,"model":"command","choices":[{"index":0,"message":{"role":"assistant","content":"LLMs are large language models.","tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":83,"completion_tokens":63,"total_tokens":146}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	path, body := sent(t, srv)
	wantBody := `{"chat_history":[{"message":"Hi","role":"USER"},{"message":"Hello","role":"CHATBOT"}],"k":5,"max_tokens":50,"message":"What is an LLM?","model":"command","preamble_override":"Be brief.","temperature":1}`
	if path != "/v1/chat" || body != wantBody {
		t.Errorf("sent %s %s\nwant %s", path, body, wantBody)
	}
}

func TestChatStream(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{ContentType: "application/stream+json", Body: upstreamtest.Fixture(t, "chat_stream.jsonl")})
	var got []string
	err := build(t, srv).ChatStream(context.Background(), chat(t, conversation), func(ch *deployments.ChatChunk) error {
		d, _ := json.Marshal(ch.Choices[0])
		u := ""
		if ch.Usage != nil {
			b, _ := json.Marshal(ch.Usage)
			u = " " + string(b)
		}
		got = append(got, ch.ID+" "+string(d)+u)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`62f3a4d2-7d2c-4b6c-b1b5-3f6b2a0f8b11 {"index":0,"finish_reason":null,"delta":{"role":"assistant","content":"How"}}`,
		`62f3a4d2-7d2c-4b6c-b1b5-3f6b2a0f8b11 {"index":0,"finish_reason":null,"delta":{"role":null,"content":" are"}}`,
		`62f3a4d2-7d2c-4b6c-b1b5-3f6b2a0f8b11 {"index":0,"finish_reason":null,"delta":{"role":null,"content":" you"}}`,
		`ac5e3a5e-3f1c-4ac6-8ee1-1b3fa3d0fd9b {"index":0,"finish_reason":"stop","delta":{"role":null,"content":null}} {"prompt_tokens":83,"completion_tokens":63,"total_tokens":146}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("chunks\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, body := sent(t, srv); !strings.Contains(body, `"stream":true`) {
		t.Errorf("sent %s", body)
	}
	// Cut before stream-end: a bad answer.
	cut := strings.SplitAfter(string(upstreamtest.Fixture(t, "chat_stream.jsonl")), "\n")[:3]
	srv.Set(upstreamtest.Answer{Body: []byte(strings.Join(cut, ""))})
	err = build(t, srv).ChatStream(context.Background(), chat(t, conversation), func(*deployments.ChatChunk) error { return nil })
	if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindBadResponse {
		t.Errorf("cut stream: %v", err)
	}
}

func TestGenerate(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "generate.json")})
	p := build(t, srv)
	resp, err := p.Completions(context.Background(), &deployments.CompletionsRequest{Prompt: "Hello", Stop: []string{"."}, N: deployments.Ptr(1), Temperature: deployments.Ptr(0.2)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Text != " Hi there! How can I assist you today?" || *resp.Choices[0].FinishReason != "stop" || *resp.Usage.TotalTokens != 11 {
		t.Errorf("got %+v", resp)
	}
	path, body := sent(t, srv)
	if path != "/v1/generate" || body != `{"model":"command","num_generations":1,"prompt":"Hello","stop_sequences":["."],"temperature":0.5}` {
		t.Errorf("sent %s %s", path, body)
	}
	srv.Set(upstreamtest.Answer{Body: upstreamtest.Fixture(t, "generate_stream.jsonl")})
	var text strings.Builder
	var finish, id string
	err = p.CompletionsStream(context.Background(), &deployments.CompletionsRequest{Prompt: "Hello"}, func(ch *deployments.CompletionsChunk) error {
		if c := ch.Choices[0].Delta.Content; c != nil {
			text.WriteString(*c)
		}
		if f := ch.Choices[0].FinishReason; f != nil {
			finish, id = *f, ch.ID
		}
		return nil
	})
	if err != nil || text.String() != " Hi there" || finish != "stop" || id != "b32a70c5-8c91-4f96-958f-d942801ed22f" {
		t.Errorf("stream %q %q %q %v", text.String(), finish, id, err)
	}
}

func TestEmbed(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "embed.json")})
	resp, err := build(t, srv).Embeddings(context.Background(), &deployments.EmbeddingsRequest{Input: json.RawMessage(`"hello world"`),
		Extra: deployments.Extra{"input_type": json.RawMessage(`"search_document"`)}})
	if err != nil || len(resp.Data) != 1 || len(resp.Data[0].Embedding) != 6 || resp.Data[0].Embedding[5] != 1.2597656 {
		t.Fatalf("got %+v %v", resp, err)
	}
	if path, body := sent(t, srv); path != "/v1/embed" || body != `{"input_type":"search_document","model":"command","texts":["hello world"]}` {
		t.Errorf("sent %s %s", path, body)
	}
	srv.Set(upstreamtest.Answer{Body: []byte(`{"embeddings":{"float":[[1,2]]}}`)})
	resp, err = build(t, srv).Embeddings(context.Background(), &deployments.EmbeddingsRequest{Input: json.RawMessage(`"x"`)})
	if err != nil || resp.Data[0].Embedding[1] != 2 {
		t.Errorf("embeddings by type: %+v %v", resp, err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	srv := upstreamtest.New(t, upstreamtest.Answer{Status: 429, Header: map[string]string{"Retry-After": "60"}, Body: upstreamtest.Fixture(t, "error_429.json")})
	p := build(t, srv)
	_, err := p.Chat(ctx, chat(t, conversation))
	pe, ok := provider.AsError(err)
	if !ok || pe.Status != 429 || !strings.HasPrefix(pe.Message, "You are using a Trial key") || pe.RetryAfter != time.Minute {
		t.Errorf("got %#v", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Error("the error names the key")
	}
	for _, c := range []struct{ body, want string }{
		{`{"messages":[{"role":"user","content":"hi"}],"n":2}`, "Parameter n must be 1"},
		{`{"messages":[{"role":"user","content":"hi"}],"stop":["x"]}`, "Parameter stop is not supported"},
		{`{"messages":[{"role":"assistant","content":"hi"}]}`, "Last message must be from user, got assistant."},
	} {
		_, err := p.Chat(ctx, chat(t, c.body))
		if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindInvalidRequest || !strings.Contains(pe.Message, c.want) {
			t.Errorf("%s: got %v, want %q", c.body, err, c.want)
		}
	}
	_, err = p.Completions(ctx, &deployments.CompletionsRequest{Prompt: "x", Extra: deployments.Extra{"num_generations": json.RawMessage("2")}})
	if pe, ok := provider.AsError(err); !ok || pe.Message != "Invalid parameter num_generations. Use n instead." {
		t.Errorf("num_generations: %v", err)
	}
}
