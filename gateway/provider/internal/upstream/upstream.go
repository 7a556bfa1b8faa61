// Package upstream is what the SaaS adapters under gateway/provider share
// to call their upstream: one POST of JSON, the mapping of transport
// failures and error statuses to *provider.Error (with Retry-After), a
// bounded read of the answer, and the event-stream loop. It keeps keys out
// of errors: messages come from the upstream's error body or fixed words.
package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
)

// MaxAnswer bounds a non-streamed upstream answer (32 MiB).
const MaxAnswer = 32 << 20

// maxErrorBody bounds how much of an error answer is read (64 KiB).
const maxErrorBody = 64 << 10

// Caller calls one provider's upstream.
type Caller struct {
	// Provider names the provider in errors ("anthropic").
	Provider string
	// Client sends the requests; never nil.
	Client *http.Client
	// Now gives the time for Retry-After dates; nil: time.Now.
	Now func() time.Time
	// ErrorMessage extracts the message from an error answer's body; nil:
	// deployments.ErrorDetail, then a "message" member. "" falls back to
	// the status text.
	ErrorMessage func(body []byte) string
}

// Err returns an *provider.Error of kind for this provider.
func (c *Caller) Err(kind provider.Kind, msg string, cause error) *provider.Error {
	return &provider.Error{Provider: c.Provider, Kind: kind, Message: msg, Err: cause}
}

// Invalid is a client request the provider cannot take (answered 400).
func (c *Caller) Invalid(format string, args ...any) *provider.Error {
	return c.Err(provider.KindInvalidRequest, fmt.Sprintf(format, args...), nil)
}

// PostJSON sends body as JSON to url with the headers set by header (may
// be nil) and returns the 2xx answer, or an *provider.Error.
func (c *Caller) PostJSON(ctx context.Context, url string, header func(http.Header), body any) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, c.Err(provider.KindInvalidRequest, "encoding the request", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, c.Err(provider.KindUnreachable, "building the request", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if header != nil {
		header(req.Header)
	}
	return c.Do(ctx, req)
}

// Do sends req and returns the 2xx answer, or an *provider.Error (ctx's
// own error when ctx ended).
func (c *Caller) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	resp, err := c.Client.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, c.StatusError(resp)
	}
	return resp, nil
}

func (c *Caller) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return ctx.Err()
	}
	kind, msg := provider.KindUnreachable, "the upstream could not be reached"
	if errors.Is(err, context.DeadlineExceeded) {
		kind, msg = provider.KindTimeout, "the upstream did not answer in time"
	}
	// *url.Error's text names the URL (which may hold a key, as Gemini's
	// does): keep only the cause.
	return c.Err(kind, msg, errors.Unwrap(err))
}

// StatusError reads an upstream error answer into an *provider.Error.
func (c *Caller) StatusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg := ""
	if c.ErrorMessage != nil {
		msg = c.ErrorMessage(b)
	}
	if msg == "" {
		msg = deployments.ErrorDetail(b)
	}
	if msg == "" {
		msg = messageOf(b)
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	return &provider.Error{Provider: c.Provider, Kind: provider.KindUpstream, Status: resp.StatusCode, Message: msg,
		RetryAfter: provider.ParseRetryAfter(resp.Header.Get("Retry-After"), now())}
}

// Decode reads a 2xx JSON answer (at most MaxAnswer bytes) into out and
// closes the body.
func (c *Caller) Decode(resp *http.Response, out any) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer+1))
	if err != nil {
		return c.Err(provider.KindUnreachable, "reading the answer", err)
	}
	if len(b) > MaxAnswer {
		return c.Err(provider.KindBadResponse, "the answer is larger than 32 MiB", nil)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return c.Err(provider.KindBadResponse, "the answer is not the expected JSON", err)
	}
	return nil
}

// ErrStop, returned by an Events callback, ends the stream without error.
var ErrStop = errors.New("stop")

// Events reads resp's text/event-stream body, passing each event's data
// to fn until the body ends, "[DONE]" arrives, or fn returns ErrStop (all
// three a clean end, but a body that ends without any event is a bad
// answer) or another error. It closes the body, and closes it
// early when ctx ends (returning ctx's error).
func (c *Caller) Events(ctx context.Context, resp *http.Response, fn func(data []byte) error) error {
	defer resp.Body.Close()
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	events := 0
	err := deployments.ReadEvents(resp.Body, func(data []byte) error {
		if bytes.Equal(data, deployments.Done) {
			return ErrStop
		}
		events++
		return fn(data)
	})
	if err == nil && events == 0 && ctx.Err() == nil {
		return c.Err(provider.KindBadResponse, "the stream has no events", nil)
	}
	return c.streamEnd(ctx, err)
}

// streamEnd classifies how a stream loop ended.
func (c *Caller) streamEnd(ctx context.Context, err error) error {
	switch {
	case err == nil, errors.Is(err, ErrStop):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	if _, ok := provider.AsError(err); ok {
		return err
	}
	if errors.Is(err, deployments.ErrEventTooLarge) {
		return c.Err(provider.KindBadResponse, "a stream event is larger than 1 MiB", err)
	}
	var fe *callbackError
	if errors.As(err, &fe) {
		return fe.err
	}
	return c.Err(provider.KindUnreachable, "the stream broke", err)
}

// StreamEnd classifies how a stream loop that is not Events' ended (e.g.
// Bedrock's binary event stream): nil for a clean end, ctx's error, the
// *provider.Error or callback error as it is, else a broken stream.
func (c *Caller) StreamEnd(ctx context.Context, err error) error { return c.streamEnd(ctx, err) }

// callbackError marks an error from the gateway's chunk callback, to pass
// it back unchanged.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
func (e *callbackError) Unwrap() error { return e.err }

// Callback wraps an error returned by the gateway's chunk callback so the
// stream loop returns it unchanged (nil stays nil).
func Callback(err error) error {
	if err == nil {
		return nil
	}
	return &callbackError{err}
}

// BadEvent is the error for a stream event that is not the expected JSON.
func (c *Caller) BadEvent(err error) error {
	return c.Err(provider.KindBadResponse, "a stream event is not the expected JSON", err)
}

// Created is the creation time for answers whose upstream gives none.
func (c *Caller) Created() int64 {
	if c.Now != nil {
		return c.Now().Unix()
	}
	return time.Now().Unix()
}

// messageOf reads the message of the common error shapes that
// deployments.ErrorDetail does not: {"error": {"message": ...}} with
// members of other types beside it (Google's numeric code), and
// {"message": ...} (Mistral's, Cohere's).
func messageOf(b []byte) string {
	var m struct {
		Message string `json:"message"`
		Error   struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	var o map[string]json.RawMessage
	if json.Unmarshal(b, &o) != nil {
		return ""
	}
	_ = json.Unmarshal(o["message"], &m.Message)
	if raw, ok := o["error"]; ok {
		var e map[string]json.RawMessage
		if json.Unmarshal(raw, &e) == nil {
			_ = json.Unmarshal(e["message"], &m.Error.Message)
		}
	}
	if m.Error.Message != "" {
		return m.Error.Message
	}
	return m.Message
}
