package togetherai_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstreamtest"
	_ "github.com/berthml/berth/gateway/provider/togetherai"
)

const key = "together-secret-key"
const model = "mistralai/Mixtral-8x7B-Instruct-v0.1"

func build(t *testing.T, srv *upstreamtest.Server) provider.Provider {
	return upstreamtest.Build(t, "togetherai", model, deployments.TypeCompletions,
		map[string]any{"togetherai_api_key": key, "togetherai_api_base": srv.URL + "/v1"})
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

func completions(t *testing.T, body string) *deployments.CompletionsRequest {
	t.Helper()
	var r deployments.CompletionsRequest
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestCompletions(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "completions.json")})
	resp, err := build(t, srv).Completions(context.Background(), completions(t, `{"prompt":"Say","max_tokens":200,"top_logprobs":2,"stop":["\n"]}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(resp)
	want := `{"id":"8447f286bbdb67b3-SJC","object":"text_completion","created":1705089226,"model":"mistralai/Mixtral-8x7B-Instruct-v0.1","choices":[{"index":0,"text":"Example text.","finish_reason":"length"}],"usage":{"prompt_tokens":16,"completion_tokens":78,"total_tokens":94}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	s := sent(t, srv)
	if s["_path"] != "/v1/completions" || s["model"] != model || s["prompt"] != "Say" || s["logprobs"] != 2.0 || s["top_logprobs"] != nil || s["max_tokens"] != 200.0 {
		t.Errorf("sent %v", s)
	}
}

func TestCompletionsStream(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{ContentType: "text/event-stream", Body: upstreamtest.Fixture(t, "completions_stream.sse")})
	var text strings.Builder
	var finish string
	var u *deployments.Usage
	err := build(t, srv).CompletionsStream(context.Background(), completions(t, `{"prompt":"Say","max_tokens":200}`), func(ch *deployments.CompletionsChunk) error {
		if ch.Object != "text_completion_chunk" || ch.ID != "86d8d6e06df86f61-ATH" {
			t.Errorf("chunk %+v", ch)
		}
		if c := ch.Choices[0].Delta.Content; c != nil {
			text.WriteString(*c)
		}
		if f := ch.Choices[0].FinishReason; f != nil {
			finish = *f
		}
		if ch.Usage != nil {
			u = ch.Usage
		}
		return nil
	})
	if err != nil || text.String() != "   name\":" || finish != "length" || u == nil || *u.TotalTokens != 217 {
		t.Errorf("text %q finish %q usage %v err %v", text.String(), finish, u, err)
	}
	if s := sent(t, srv); s["stream"] != true {
		t.Errorf("sent %v", s)
	}
}

func TestChat(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "chat.json")})
	p := build(t, srv)
	req := &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", "hi")}, Temperature: deployments.Ptr(0.3)}
	resp, err := p.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if *resp.Choices[0].Message.Content != "example" || *resp.Choices[0].FinishReason != "eos" || *resp.Usage.TotalTokens != 486 {
		t.Errorf("got %+v", resp)
	}
	if s := sent(t, srv); s["_path"] != "/v1/chat/completions" || s["temperature"] != 0.3 || s["model"] != model {
		t.Errorf("sent %v", s)
	}
	srv.Set(upstreamtest.Answer{ContentType: "text/event-stream", Body: upstreamtest.Fixture(t, "chat_stream.sse")})
	var text strings.Builder
	err = p.ChatStream(context.Background(), req, func(ch *deployments.ChatChunk) error {
		if c := ch.Choices[0].Delta.Content; c != nil {
			text.WriteString(*c)
		}
		return nil
	})
	if err != nil || text.String() != " The City Paris" {
		t.Errorf("stream %q %v", text.String(), err)
	}
}

func TestEmbeddings(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "embeddings.json")})
	resp, err := build(t, srv).Embeddings(context.Background(), &deployments.EmbeddingsRequest{Input: json.RawMessage(`"Our solar system"`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 1 || len(resp.Data[0].Embedding) != 4 || resp.Data[0].Embedding[1] != -0.2521129 || resp.Usage.PromptTokens != nil {
		t.Errorf("got %+v", resp)
	}
	if s := sent(t, srv); s["_path"] != "/v1/embeddings" || s["input"] != "Our solar system" {
		t.Errorf("sent %v", s)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	srv := upstreamtest.New(t, upstreamtest.Answer{Status: 401, Body: upstreamtest.Fixture(t, "error_401.json")})
	p := build(t, srv)
	_, err := p.Completions(ctx, completions(t, `{"prompt":"x","max_tokens":5}`))
	pe, ok := provider.AsError(err)
	if !ok || pe.Status != 401 || !strings.HasPrefix(pe.Message, "Invalid API key provided.") || pe.Retryable() {
		t.Errorf("got %#v", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Error("the error names the key")
	}
	for _, c := range []struct{ body, want string }{
		{`{"prompt":"x"}`, "max_tokens is not present"},
		{`{"prompt":"x","max_tokens":5,"logprobs":true}`, "Wrong type for logprobs"},
		{`{"prompt":"x","max_tokens":5,"top_logprobs":"2"}`, "Wrong type for top_logprobs"},
	} {
		_, err := p.Completions(ctx, completions(t, c.body))
		if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindInvalidRequest || !strings.Contains(pe.Message, c.want) {
			t.Errorf("%s: got %v, want %q", c.body, err, c.want)
		}
	}
}
