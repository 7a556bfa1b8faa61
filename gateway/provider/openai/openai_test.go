package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	_ "github.com/berthml/berth/gateway/provider/openai"
)

// seen is one request the fake upstream got.
type seen struct {
	path, query string
	header      http.Header
	body        map[string]any
}

// upstream is an OpenAI-shaped server that records what it is sent.
type upstream struct {
	mu   sync.Mutex
	seen []seen
	srv  *httptest.Server
}

func newUpstream(t *testing.T, h func(w http.ResponseWriter, body map[string]any)) *upstream {
	u := &upstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		u.mu.Lock()
		u.seen = append(u.seen, seen{r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		u.mu.Unlock()
		h(w, body)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func build(t *testing.T, name, model, typ string, settings map[string]any) provider.Provider {
	t.Helper()
	s, ok := provider.Lookup(name)
	if !ok {
		t.Fatalf("provider %s is not registered", name)
	}
	p, err := s.New(provider.Config{Provider: name, Model: model, EndpointType: typ, Settings: settings,
		HTTPClient: http.DefaultClient, Logger: slog.New(slog.DiscardHandler), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const chatAnswer = `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"echo: hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}`

func TestChatSendsWhatMLflowSends(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, _ map[string]any) { io.WriteString(w, chatAnswer) })
	p := build(t, "openai", "gpt-4o-mini", deployments.TypeChat, map[string]any{"openai_api_key": "sk-test", "openai_api_base": u.srv.URL + "/v1"})
	var req deployments.ChatRequest
	if err := json.Unmarshal([]byte(`{"messages":[{"role":"user","content":"hi"}],"top_p":0.9,"tools":[{"type":"function"}]}`), &req); err != nil {
		t.Fatal(err)
	}
	resp, err := p.Chat(context.Background(), &req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(resp)
	want := `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"echo: hi","tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}`
	if string(got) != want {
		t.Errorf("answer\n got %s\nwant %s", got, want)
	}
	s := u.seen[0]
	if s.path != "/v1/chat/completions" || s.header.Get("Authorization") != "Bearer sk-test" {
		t.Errorf("sent %s with Authorization %q", s.path, s.header.Get("Authorization"))
	}
	body, _ := json.Marshal(s.body)
	wantBody := `{"messages":[{"content":"hi","role":"user"}],"model":"gpt-4o-mini","n":1,"temperature":0,"tools":[{"type":"function"}],"top_p":0.9}`
	if string(body) != wantBody {
		t.Errorf("upstream body\n got %s\nwant %s", body, wantBody)
	}
}

func TestCompletionsGoThroughChat(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, _ map[string]any) { io.WriteString(w, chatAnswer) })
	p := build(t, "openai", "gpt-3.5-turbo-instruct", deployments.TypeCompletions, map[string]any{"openai_api_key": "k", "openai_api_base": u.srv.URL})
	resp, err := p.Completions(context.Background(), &deployments.CompletionsRequest{Prompt: "say hi", N: deployments.Ptr(2), Extra: deployments.Extra{"echo": json.RawMessage("true")}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Object != "text_completion" || resp.Choices[0].Text != "echo: hi" || resp.ID != "chatcmpl-1" {
		t.Errorf("answer %+v", resp)
	}
	body, _ := json.Marshal(u.seen[0].body)
	if want := `{"echo":true,"messages":[{"content":"say hi","role":"user"}],"model":"gpt-3.5-turbo-instruct","n":2,"temperature":0}`; string(body) != want || u.seen[0].path != "/chat/completions" {
		t.Errorf("upstream %s body %s, want %s", u.seen[0].path, body, want)
	}
}

func TestStreams(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, _ map[string]any) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range []string{
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"echo: "},"finish_reason":null}]}`,
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}`,
			`[DONE]`} {
			fmt.Fprintf(w, "data: %s\n\n", ev)
		}
	})
	p := build(t, "openai", "m", deployments.TypeChat, map[string]any{"openai_api_key": "k", "openai_api_base": u.srv.URL})
	var chunks []string
	err := p.ChatStream(context.Background(), &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", "hi")}},
		func(c *deployments.ChatChunk) error {
			b, _ := json.Marshal(c)
			chunks = append(chunks, string(b))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"finish_reason":null,"delta":{"role":"assistant","content":"echo: "}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","delta":{"role":null,"content":"hi"}}]}`,
	}
	if strings.Join(chunks, "\n") != strings.Join(want, "\n") {
		t.Errorf("chunks\n%s\nwant\n%s", strings.Join(chunks, "\n"), strings.Join(want, "\n"))
	}
	if u.seen[0].body["stream"] != true {
		t.Errorf("stream not sent upstream: %v", u.seen[0].body)
	}
	var comp []string
	err = p.CompletionsStream(context.Background(), &deployments.CompletionsRequest{Prompt: "p"}, func(c *deployments.CompletionsChunk) error {
		b, _ := json.Marshal(c)
		comp = append(comp, string(b))
		return nil
	})
	if err != nil || len(comp) != 2 || !strings.Contains(comp[0], `"object":"text_completion_chunk"`) || !strings.Contains(comp[0], `"delta":{"role":null,"content":"echo: "}`) {
		t.Errorf("completions chunks %v, %v", comp, err)
	}
}

func TestEmbeddings(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, _ map[string]any) {
		io.WriteString(w, `{"object":"list","model":"e","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"usage":{"prompt_tokens":2,"total_tokens":2}}`)
	})
	p := build(t, "openai", "e", deployments.TypeEmbeddings, map[string]any{"openai_api_key": "k", "openai_api_base": u.srv.URL})
	resp, err := p.Embeddings(context.Background(), &deployments.EmbeddingsRequest{Input: json.RawMessage(`"a"`), Extra: deployments.Extra{"dimensions": json.RawMessage("2")}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(resp)
	if want := `{"object":"list","data":[{"object":"embedding","embedding":[0.1,0.2],"index":0}],"model":"e","usage":{"prompt_tokens":2,"total_tokens":2}}`; string(got) != want {
		t.Errorf("answer %s", got)
	}
	body, _ := json.Marshal(u.seen[0].body)
	if want := `{"dimensions":2,"input":"a","model":"e"}`; string(body) != want || u.seen[0].path != "/embeddings" {
		t.Errorf("upstream %s %s", u.seen[0].path, body)
	}
}

func TestAzure(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, _ map[string]any) { io.WriteString(w, chatAnswer) })
	for _, tt := range []struct {
		provider, apiType, header, value string
	}{{"openai", "azure", "Api-Key", "az-key"}, {"azure", "", "Api-Key", "az-key"}, {"azuread", "", "Authorization", "Bearer az-key"}} {
		settings := map[string]any{"openai_api_key": "az-key", "openai_api_base": u.srv.URL, "openai_api_version": "2024-02-01", "openai_deployment_name": "dep"}
		if tt.apiType != "" {
			settings["openai_api_type"] = tt.apiType
		}
		p := build(t, tt.provider, "gpt", deployments.TypeChat, settings)
		if _, err := p.Chat(context.Background(), &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", "x")}}); err != nil {
			t.Fatal(err)
		}
		s := u.seen[len(u.seen)-1]
		if s.path != "/openai/deployments/dep/chat/completions" || s.query != "api-version=2024-02-01" || s.header.Get(tt.header) != tt.value {
			t.Errorf("%s/%s: sent %s?%s %s=%q", tt.provider, tt.apiType, s.path, s.query, tt.header, s.header.Get(tt.header))
		}
	}
	s, _ := provider.Lookup("openai")
	_, err := s.New(provider.Config{Settings: map[string]any{"openai_api_key": "k", "openai_api_type": "azure"}, HTTPClient: http.DefaultClient})
	if err == nil || !strings.Contains(err.Error(), "is required when openai_api_type is azure") {
		t.Errorf("azure without base/version/deployment: %v", err)
	}
}

func TestErrors(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, body map[string]any) {
		switch body["model"] {
		case "fail500":
			w.WriteHeader(500)
			io.WriteString(w, `{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}`)
		case "fail429":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
			io.WriteString(w, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`)
		case "badjson":
			io.WriteString(w, "this is not json")
		case "slow":
			time.Sleep(300 * time.Millisecond)
			io.WriteString(w, chatAnswer)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	msgs := []deployments.Message{deployments.TextMessage("user", "x")}
	tests := []struct {
		model, base string
		timeout     time.Duration
		kind        provider.Kind
		status      int
		msg         string
		retry       time.Duration
	}{
		{"fail500", u.srv.URL, 0, provider.KindUpstream, 500, "The server had an error while processing your request.", 0},
		{"fail429", u.srv.URL, 0, provider.KindUpstream, 429, "Rate limit reached", 7 * time.Second},
		{"badjson", u.srv.URL, 0, provider.KindBadResponse, 0, "the answer is not the expected JSON", 0},
		{"any", down, 0, provider.KindUnreachable, 0, "the upstream could not be reached", 0},
		{"slow", u.srv.URL, 50 * time.Millisecond, provider.KindTimeout, 0, "the upstream did not answer in time", 0},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			p := build(t, "openai", tt.model, deployments.TypeChat, map[string]any{"openai_api_key": "sk-secret-123", "openai_api_base": tt.base})
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			_, err := p.Chat(ctx, &deployments.ChatRequest{Messages: msgs})
			pe, ok := provider.AsError(err)
			if !ok {
				t.Fatalf("error %v is not a *provider.Error", err)
			}
			if pe.Kind != tt.kind || pe.Status != tt.status || pe.Message != tt.msg || pe.RetryAfter != tt.retry || pe.Provider != "openai" {
				t.Errorf("got %+v", pe)
			}
			if strings.Contains(err.Error(), "sk-secret-123") || (pe.Err != nil && strings.Contains(pe.Err.Error(), "sk-secret-123")) {
				t.Errorf("the key is in the error: %v", err)
			}
		})
	}
}

func TestStreamCancelled(t *testing.T) {
	release := make(chan struct{})
	u := newUpstream(t, func(w http.ResponseWriter, _ map[string]any) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, `data: {"id":"c","choices":[{"index":0,"delta":{"content":"a"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		<-release
	})
	defer close(release)
	p := build(t, "openai", "m", deployments.TypeChat, map[string]any{"openai_api_key": "k", "openai_api_base": u.srv.URL})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- p.ChatStream(ctx, &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", "x")}},
			func(*deployments.ChatChunk) error { cancel(); return nil })
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("a cancelled stream returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end when its context was cancelled")
	}
}

// TestStreamFailures: an upstream stream that is not one (no events), that
// carries an error object midway, that ends in half an event or whose
// connection breaks is the provider's failure, with the chunks before it
// passed on; one that ends without [DONE] is not.
func TestStreamFailures(t *testing.T) {
	const chunk = `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a \"error\": b"},"finish_reason":null}]}`
	u := newUpstream(t, func(w http.ResponseWriter, body map[string]any) {
		w.Header().Set("Content-Type", "text/event-stream")
		switch body["model"] {
		case "garbage":
			io.WriteString(w, "this is not an event stream\n")
		case "error-object":
			fmt.Fprintf(w, "data: %s\n\ndata: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n", chunk)
		case "error-string":
			fmt.Fprintf(w, "data: %s\n\ndata: {\"error\":\"overloaded\"}\n\n", chunk)
		case "cut":
			fmt.Fprintf(w, "data: %s\n\ndata: {\"id\":\"c1\",\"object\":\"chat.compl", chunk)
		case "short": // the connection ends before the length it declared
			w.Header().Set("Content-Length", "100000")
			fmt.Fprintf(w, "data: %s\n\n", chunk)
		case "no-done":
			fmt.Fprintf(w, "data: %s\n\n", chunk)
		}
	})
	for _, tt := range []struct {
		model  string
		kind   provider.Kind
		msg    string
		chunks int
	}{
		{"garbage", provider.KindBadResponse, "the stream has no events", 0},
		{"error-object", provider.KindUpstream, "boom", 1},
		{"error-string", provider.KindUpstream, "overloaded", 1},
		{"cut", provider.KindBadResponse, "a stream event is not the expected JSON", 1},
		{"short", provider.KindUnreachable, "the stream broke off", 1},
		{"no-done", 0, "", 1},
	} {
		t.Run(tt.model, func(t *testing.T) {
			p := build(t, "openai", tt.model, deployments.TypeChat, map[string]any{"openai_api_key": "k", "openai_api_base": u.srv.URL})
			chunks := 0
			err := p.ChatStream(context.Background(), &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", "hi")}},
				func(*deployments.ChatChunk) error { chunks++; return nil })
			if chunks != tt.chunks {
				t.Errorf("%d chunks passed on, want %d", chunks, tt.chunks)
			}
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("a stream that ends without [DONE]: %v", err)
				}
				return
			}
			pe, ok := provider.AsError(err)
			if !ok || pe.Kind != tt.kind || pe.Message != tt.msg || pe.Provider != "openai" {
				t.Fatalf("got %v, want a %v error %q", err, tt.kind, tt.msg)
			}
		})
	}
}
