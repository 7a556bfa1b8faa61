package gateway_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/gatewaytest"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// echoGateway starts an Echo upstream and a gateway whose endpoints
// (chat, completions, embeddings, chat-500, chat-429, ...) call it.
func echoGateway(t *testing.T, extraYAML string, opts ...gateway.Option) (*httptest.Server, *gatewaytest.Echo) {
	t.Helper()
	echo := &gatewaytest.Echo{}
	up := httptest.NewServer(echo)
	t.Cleanup(up.Close)
	y := "endpoints:\n"
	for _, e := range []struct{ name, typ, model string }{
		{"chat", "llm/v1/chat", "gpt-4o-mini"}, {"completions", "llm/v1/completions", "gpt-3.5-turbo-instruct"},
		{"embeddings", "llm/v1/embeddings", "text-embedding-3-small"}, {"chat-500", "llm/v1/chat", "fail500"},
		{"chat-429", "llm/v1/chat", "fail429"}, {"chat-slow", "llm/v1/chat", "slow"},
	} {
		y += "  - name: " + e.name + "\n    endpoint_type: " + e.typ + "\n    model:\n      provider: openai\n      name: " + e.model +
			"\n      config: {openai_api_key: $KEY, openai_api_base: '" + up.URL + "/v1'}\n"
	}
	y += extraYAML
	cfg, err := config.Parse([]byte(y), "test.yaml", config.WithLookupEnv(func(k string) (string, bool) { return "sk-secret-provider-key", k == "KEY" }))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, append([]gateway.Option{gateway.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return srv, echo
}

func sdk(srv *httptest.Server) openai.Client {
	return openai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
}

// TestOpenAISDK drives berth with the official OpenAI Go SDK, unchanged.
func TestOpenAISDK(t *testing.T) {
	srv, echo := echoGateway(t, "")
	client := sdk(srv)
	ctx := context.Background()

	chat, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "chat",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("hello there")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if chat.Choices[0].Message.Content != "echo: hello there" || chat.Usage.TotalTokens != 8 || chat.Model != "gpt-4o-mini" {
		t.Errorf("chat: %+v", chat)
	}
	if got := echo.LastAuth.Load(); got != "Bearer sk-secret-provider-key" {
		t.Errorf("the upstream got Authorization %q: the provider's key, not the client's, must be sent", got)
	}

	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model: "chat", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("one two three")},
	})
	acc := openai.ChatCompletionAccumulator{}
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if chunks != 4 || acc.Choices[0].Message.Content != "echo: one two three " {
		t.Errorf("stream: %d chunks, %q", chunks, acc.Choices[0].Message.Content)
	}

	comp, err := client.Completions.New(ctx, openai.CompletionNewParams{Model: "completions",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("say hi")}})
	if err != nil {
		t.Fatal(err)
	}
	if comp.Choices[0].Text != "echo: say hi" {
		t.Errorf("completions: %+v", comp)
	}
	cs := client.Completions.NewStreaming(ctx, openai.CompletionNewParams{Model: "completions",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("say hi")}})
	var text strings.Builder
	for cs.Next() {
		text.WriteString(cs.Current().Choices[0].Text)
	}
	if err := cs.Err(); err != nil || text.String() != "echo: say hi " {
		t.Errorf("completions stream: %q, %v", text.String(), err)
	}

	emb, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "embeddings",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Data) != 2 || emb.Data[1].Embedding[3] != 1 {
		t.Errorf("embeddings: %+v", emb.Data)
	}
}

func TestOpenAISDKErrors(t *testing.T) {
	srv, _ := echoGateway(t, "")
	client := sdk(srv)
	ctx := context.Background()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}
	tests := []struct {
		model  string
		status int
		msg    string
	}{
		{"nope", 400, "Route nope not found in the configuration."},
		{"embeddings", 400, "Endpoint 'embeddings' is not a chat endpoint."},
		{"chat-500", 502, "provider openai answered 500: The server had an error while processing your request."},
		{"chat-429", 429, "provider openai answered 429: Rate limit reached"},
	}
	for _, tt := range tests {
		_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: tt.model, Messages: msgs})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("%s: %v is not an *openai.Error", tt.model, err)
		}
		if apiErr.StatusCode != tt.status || apiErr.Message != tt.msg {
			t.Errorf("%s: %d %q, want %d %q", tt.model, apiErr.StatusCode, apiErr.Message, tt.status, tt.msg)
		}
		if strings.Contains(apiErr.RawJSON(), "sk-secret-provider-key") {
			t.Errorf("%s: the provider key is in the answer", tt.model)
		}
	}
	// A stream whose upstream fails before its first chunk is an error answer.
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "chat-500", Messages: msgs})
	for stream.Next() {
		t.Error("a chunk from a failed upstream")
	}
	var apiErr *openai.Error
	if !errors.As(stream.Err(), &apiErr) || apiErr.StatusCode != http.StatusBadGateway {
		t.Errorf("stream error: %v", stream.Err())
	}
}
