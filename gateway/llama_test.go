package gateway_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/internal/llmtest"
)

// TestLlamaCppThroughGateway puts the real engine (llama.cpp via
// node-llama-cpp, a generated GGUF model, deterministic at temperature 0)
// behind the gateway and checks that what the OpenAI SDK and MLflow's
// client calls get through berth is what the engine answers directly.
func TestLlamaCppThroughGateway(t *testing.T) {
	e := llmtest.New(t)
	y := "endpoints:\n" +
		"  - name: llama\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: berth-tiny-random, config: {openai_api_key: unused, openai_api_base: '" + e.URL + "/v1'}}\n" +
		"  - name: llama-embeddings\n    endpoint_type: llm/v1/embeddings\n    model: {provider: openai, name: berth-tiny-random, config: {openai_api_key: unused, openai_api_base: '" + e.URL + "/v1'}}\n" +
		"  - name: llama-completions\n    endpoint_type: llm/v1/completions\n    model: {provider: openai, name: berth-tiny-random, config: {openai_api_key: unused, openai_api_base: '" + e.URL + "/v1'}}\n"
	cfg, err := config.Parse([]byte(y), "llama.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{Model: "llama", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello")},
		MaxTokens: openai.Int(12), Temperature: openai.Float(0)}

	direct := openai.NewClient(option.WithBaseURL(e.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	dp := params
	dp.Model = "berth-tiny-random"
	want, err := direct.Chat.Completions.New(ctx, dp)
	if err != nil {
		t.Fatal(err)
	}
	text := want.Choices[0].Message.Content
	if text == "" {
		t.Fatal("the engine answered nothing")
	}

	via := openai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	got, err := via.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if got.Choices[0].Message.Content != text || got.Usage.CompletionTokens != want.Usage.CompletionTokens {
		t.Errorf("through berth: %q (%d tokens); directly: %q (%d tokens)", got.Choices[0].Message.Content, got.Usage.CompletionTokens, text, want.Usage.CompletionTokens)
	}
	s := via.Chat.Completions.NewStreaming(ctx, params)
	var streamed strings.Builder
	chunks := 0
	for s.Next() {
		chunks++
		if len(s.Current().Choices) > 0 {
			streamed.WriteString(s.Current().Choices[0].Delta.Content)
		}
	}
	if s.Err() != nil || streamed.String() != text || chunks < 2 {
		t.Errorf("streamed through berth: %q in %d chunks (%v); want %q", streamed.String(), chunks, s.Err(), text)
	}

	c := &deployments.Client{BaseURL: srv.URL}
	r, err := c.Chat(ctx, "llama", &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", "hello")}, MaxTokens: deployments.Ptr(12)})
	if err != nil || *r.Choices[0].Message.Content != text {
		t.Errorf("MLflow's predict on chat: %v %+v; want %q", err, r, text)
	}
	cr, err := c.Completions(ctx, "llama-completions", &deployments.CompletionsRequest{Prompt: "hello", MaxTokens: deployments.Ptr(12)})
	if err != nil || cr.Choices[0].Text != text {
		t.Errorf("MLflow's predict on completions (sent as chat, as MLflow does): %v %+v; want %q", err, cr, text)
	}
	ep := openai.EmbeddingNewParams{Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"hello", "world"}}}
	ep.Model = "berth-tiny-random"
	wantEmb, err := direct.Embeddings.New(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	ep.Model = "llama-embeddings"
	gotEmb, err := via.Embeddings.New(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotEmb.Data) != 2 || len(gotEmb.Data[1].Embedding) == 0 || gotEmb.Data[1].Embedding[0] != wantEmb.Data[1].Embedding[0] {
		t.Errorf("embeddings through berth differ from the engine's: %d vectors", len(gotEmb.Data))
	}
}
