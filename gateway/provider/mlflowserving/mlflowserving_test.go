package mlflowserving_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	_ "github.com/berthml/berth/gateway/provider/mlflowserving"
)

// scoring is an MLflow scoring server that records the body it got and
// answers with predictions.
func scoring(t *testing.T, predictions string, got *string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/invocations" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s", r.URL.Path, r.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(r.Body)
		*got = string(b)
		io.WriteString(w, `{"predictions": `+predictions+`}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func build(t *testing.T, url string) provider.Provider {
	s, ok := provider.Lookup("mlflow-model-serving")
	if !ok {
		t.Fatal("mlflow-model-serving is not registered")
	}
	p, err := s.New(provider.Config{Provider: "mlflow-model-serving", Model: "m", Settings: map[string]any{"model_server_url": url + "/"},
		HTTPClient: http.DefaultClient, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAsMLflowSends(t *testing.T) {
	ctx := context.Background()
	var got string
	p := build(t, scoring(t, `["a", "b"]`, &got))
	c, err := p.Completions(ctx, &deployments.CompletionsRequest{Prompt: "hi", MaxTokens: deployments.Ptr(5), Extra: deployments.Extra{"top_p": json.RawMessage("0.5")}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"inputs":["hi"],"params":{"max_tokens":5,"n":1,"temperature":0,"top_p":0.5}}`; got != want {
		t.Errorf("sent %s, want %s", got, want)
	}
	b, _ := json.Marshal(c)
	if want := `{"id":"","object":"text_completion","created":1700000000,"model":"m","choices":[{"index":0,"text":"a","finish_reason":null},{"index":1,"text":"b","finish_reason":null}],"usage":{}}`; string(b) != want {
		t.Errorf("answer %s", b)
	}
	chat, err := p.Chat(ctx, &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", "q")}, Temperature: deployments.Ptr(0.3)})
	if err != nil || *chat.Choices[1].Message.Content != "b" || got != `{"inputs":["q"],"params":{"n":1,"temperature":0.3}}` {
		t.Errorf("chat: %v %+v, sent %s", err, chat, got)
	}
	_, err = p.Chat(ctx, &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("system", "s"), deployments.TextMessage("user", "q")}})
	if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindInvalidRequest {
		t.Errorf("two messages: %v", err)
	}
	if err := p.ChatStream(ctx, &deployments.ChatRequest{}, nil); err == nil {
		t.Error("a stream from a scoring server")
	}
}

func TestEmbeddings(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct{ predictions, input, sent string }{
		{`[[0.1, 0.2], [0.3, 0.4]]`, `["a","b"]`, `{"inputs":["a","b"]}`},
		{`[0.5, 0.6]`, `"a"`, `{"inputs":["a"]}`},
	} {
		var got string
		p := build(t, scoring(t, tt.predictions, &got))
		e, err := p.Embeddings(ctx, &deployments.EmbeddingsRequest{Input: json.RawMessage(tt.input)})
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.sent || len(e.Data) == 0 || e.Data[len(e.Data)-1].Index != len(e.Data)-1 {
			t.Errorf("%s: sent %s, answer %+v", tt.input, got, e)
		}
	}
	var got string
	p := build(t, scoring(t, `{"not": "a list"}`, &got))
	_, err := p.Embeddings(ctx, &deployments.EmbeddingsRequest{Input: json.RawMessage(`"a"`)})
	if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindBadResponse {
		t.Errorf("bad predictions: %v", err)
	}
}
