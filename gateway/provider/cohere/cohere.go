// Package cohere is the gateway's adapter for Cohere's v1 API
// (https://docs.cohere.com/v1/reference), as MLflow 2.x's Cohere provider
// calls it: chat → /v1/chat (the last message, which must be the user's,
// as message; earlier user and assistant messages as chat_history with
// roles USER and CHATBOT; system messages joined into preamble_override;
// n only 1; no stop), completions → /v1/generate (stop → stop_sequences,
// n → num_generations), embeddings → /v1/embed (input → texts).
// Temperature is scaled by 2.5 (MLflow's range is 0–2, Cohere's 0–5).
// Streams are Cohere's newline-delimited JSON events. Text only: tool
// calling is not translated.
//
// model.config settings:
//
//	cohere_api_key   the key (secret: $ENV_VAR, a file path, or the literal); required
//	cohere_api_base  berth's addition: the API's base URL; default https://api.cohere.ai/v1
package cohere

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// Name is MLflow's name for this provider.
const Name = "cohere"

// DefaultBase is where Cohere's v1 API lives.
const DefaultBase = "https://api.cohere.ai/v1"

func init() {
	provider.Register(provider.Spec{Name: Name, New: New, SecretFields: []string{"cohere_api_key"}, RequiredFields: []string{"cohere_api_key"}})
}

// Provider calls Cohere for one endpoint.
type Provider struct {
	up     upstream.Caller
	model  string
	header func(http.Header)
	base   string
}

var _ provider.Provider = (*Provider)(nil)

// New builds the adapter from an endpoint's model config.
func New(cfg provider.Config) (provider.Provider, error) {
	key := cfg.String("cohere_api_key")
	if key == "" {
		return nil, fmt.Errorf("cohere_api_key is empty")
	}
	base := strings.TrimRight(cfg.String("cohere_api_base"), "/")
	if base == "" {
		base = DefaultBase
	}
	return &Provider{up: upstream.Caller{Provider: Name, Client: cfg.HTTPClient, Now: cfg.Now}, model: cfg.Model,
		header: upstream.Bearer(key), base: base}, nil
}

// body is a request body: named members, then the client's extra ones.
type body map[string]any

func newBody(model string, extra deployments.Extra) body {
	b := body{}
	for k, v := range extra {
		b[k] = v
	}
	if model != "" {
		b["model"] = model
	}
	return b
}

func scaled(t *float64) any {
	if t == nil {
		return nil
	}
	return 2.5 * *t
}

func (b body) set(k string, v any) {
	switch x := v.(type) {
	case nil:
		return
	case *int:
		if x == nil {
			return
		}
	}
	b[k] = v
}

// finishReason maps Cohere's finish_reason to OpenAI's.
func finishReason(s string) *string {
	switch s {
	case "":
		return nil
	case "COMPLETE", "STOP_SEQUENCE":
		return deployments.Ptr("stop")
	case "MAX_TOKENS":
		return deployments.Ptr("length")
	}
	return deployments.Ptr(strings.ToLower(s))
}

// errStreamEnd ends an event loop at stream-end.
var errStreamEnd = errors.New("stream-end")

// events reads a newline-delimited JSON stream (each line at most 1 MiB),
// passing each non-empty line to fn.
func (p *Provider) events(ctx context.Context, resp *http.Response, fn func(line []byte) error) error {
	defer resp.Body.Close()
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 16<<10), deployments.MaxEventSize)
	for sc.Scan() {
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		if err := fn(line); err != nil {
			if errors.Is(err, errStreamEnd) {
				return nil
			}
			return p.up.StreamEnd(ctx, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return p.up.Err(provider.KindBadResponse, "a stream event is larger than 1 MiB", err)
		}
		return p.up.StreamEnd(ctx, err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return p.up.Err(provider.KindBadResponse, "the stream ended without stream-end", nil)
}
