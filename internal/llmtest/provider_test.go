package llmtest_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	_ "github.com/berthml/berth/gateway/provider/openai"
	"github.com/berthml/berth/internal/llmtest"
)

// throughOpenAIProvider calls the engine through the gateway's
// OpenAI-compatible adapter, as a gateway endpoint with provider openai
// and openai_api_base pointing at the engine would: the way the gateway's
// own tests use llmtest.
func throughOpenAIProvider(t *testing.T, e *llmtest.Engine, direct string) {
	spec, ok := provider.Lookup("openai")
	if !ok {
		t.Fatal("provider openai is not registered")
	}
	p, err := spec.New(provider.Config{Provider: "openai", Model: "berth-tiny-random", EndpointType: deployments.TypeChat,
		Settings:   map[string]any{"openai_api_key": "unused", "openai_api_base": e.URL + "/v1"},
		HTTPClient: &http.Client{Timeout: 30 * time.Second}, Logger: slog.New(slog.DiscardHandler), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	req := &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", "hello")}, MaxTokens: deployments.Ptr(12)}
	resp, err := p.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := *resp.Choices[0].Message.Content; got != direct || *resp.Usage.PromptTokens != 24 || *resp.Usage.CompletionTokens != 12 {
		t.Errorf("through the adapter: %q %+v; called directly: %q", got, resp.Usage, direct)
	}
	var text strings.Builder
	chunks := 0
	err = p.ChatStream(context.Background(), req, func(ch *deployments.ChatChunk) error {
		chunks++
		for _, c := range ch.Choices {
			if c.Delta.Content != nil {
				text.WriteString(*c.Delta.Content)
			}
		}
		return nil
	})
	if err != nil || text.String() != direct || chunks < 12 {
		t.Errorf("streamed through the adapter: %q in %d chunks (%v); want %q", text.String(), chunks, err, direct)
	}
}
