package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
)

// maxAnswer bounds a non-streamed upstream answer (32 MiB).
const maxAnswer = 32 << 20

// post sends body to url and returns the 2xx answer, or an *provider.Error.
func (p *Provider) post(ctx context.Context, url string, body any) (*http.Response, error) {
	b, err := encode(body)
	if err != nil {
		return nil, &provider.Error{Provider: p.name, Kind: provider.KindInvalidRequest, Message: "encoding the request", Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, &provider.Error{Provider: p.name, Kind: provider.KindUnreachable, Message: "building the request", Err: err}
	}
	p.header(req.Header)
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, p.transportError(ctx, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, p.statusError(resp)
	}
	return resp, nil
}

// transportError classifies a failed call. The URL (which holds no key)
// is kept out of the message anyway: *url.Error's text names it.
func (p *Provider) transportError(ctx context.Context, err error) error {
	kind, msg := provider.KindUnreachable, "the upstream could not be reached"
	if errors.Is(err, context.DeadlineExceeded) {
		kind, msg = provider.KindTimeout, "the upstream did not answer in time"
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return ctx.Err()
	}
	return &provider.Error{Provider: p.name, Kind: kind, Message: msg, Err: errors.Unwrap(err)}
}

// statusError reads an upstream error answer: OpenAI's
// {"error": {"message": ...}} or any text.
func (p *Provider) statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := deployments.ErrorDetail(b)
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	now := time.Now
	if p.cfg.Now != nil {
		now = p.cfg.Now
	}
	return &provider.Error{Provider: p.name, Kind: provider.KindUpstream, Status: resp.StatusCode, Message: msg,
		RetryAfter: provider.ParseRetryAfter(resp.Header.Get("Retry-After"), now())}
}

// decode reads a 2xx JSON answer into out.
func (p *Provider) decode(resp *http.Response, out any) error {
	b, err := p.read(resp)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &provider.Error{Provider: p.name, Kind: provider.KindBadResponse, Message: "the answer is not the expected JSON", Err: err}
	}
	return nil
}

// decodeChat reads a 2xx chat answer into u: parseChat's walk, or
// encoding/json where the walk turns the answer down.
func (p *Provider) decodeChat(resp *http.Response, u *upstreamChat) error {
	b, err := p.read(resp)
	if err != nil {
		return err
	}
	if parseChat(b, u) {
		return nil
	}
	*u = upstreamChat{}
	if err := json.Unmarshal(b, u); err != nil {
		return &provider.Error{Provider: p.name, Kind: provider.KindBadResponse, Message: "the answer is not the expected JSON", Err: err}
	}
	return nil
}

// read reads a 2xx answer's body (at most maxAnswer bytes) and closes it.
func (p *Provider) read(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	var b []byte
	var err error
	if n := resp.ContentLength; n >= 0 && n <= maxAnswer {
		// The size is known: one exact buffer instead of io.ReadAll's
		// doubling from 512 bytes. The body ends at Content-Length.
		b = make([]byte, n)
		_, err = io.ReadFull(resp.Body, b)
	} else {
		b, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	}
	if err != nil {
		return nil, &provider.Error{Provider: p.name, Kind: provider.KindUnreachable, Message: "reading the answer", Err: err}
	}
	if len(b) > maxAnswer {
		return nil, &provider.Error{Provider: p.name, Kind: provider.KindBadResponse, Message: "the answer is larger than 32 MiB"}
	}
	return b, nil
}

// stream reads an upstream event stream, decoding each event into a fresh
// T and passing it to fn. "[DONE]" ends it. A stream without events, an
// event that is an error object ({"error": ...}, which OpenAI-compatible
// servers send when a stream fails midway) and a stream cut off are the
// provider's failures, not an empty answer.
func stream[T any](p *Provider, ctx context.Context, resp *http.Response, fn func(*T) error) error {
	defer resp.Body.Close()
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	errDone := errors.New("done")
	events := 0
	err := deployments.ReadEvents(resp.Body, func(data []byte) error {
		if bytes.Equal(data, deployments.Done) {
			return errDone
		}
		events++
		if msg, ok := streamError(data); ok {
			return &provider.Error{Provider: p.name, Kind: provider.KindUpstream, Message: msg}
		}
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return &provider.Error{Provider: p.name, Kind: provider.KindBadResponse, Message: "a stream event is not the expected JSON", Err: err}
		}
		return fn(&v)
	})
	switch {
	case errors.Is(err, errDone):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case err == nil && events == 0:
		return &provider.Error{Provider: p.name, Kind: provider.KindBadResponse, Message: "the stream has no events"}
	case err == nil:
		return nil
	}
	if _, ok := provider.AsError(err); ok {
		return err
	}
	if errors.Is(err, deployments.ErrEventTooLarge) {
		return &provider.Error{Provider: p.name, Kind: provider.KindBadResponse, Message: "a stream event is larger than 1 MiB"}
	}
	return &provider.Error{Provider: p.name, Kind: provider.KindUnreachable, Message: "the stream broke off", Err: err}
}

// streamError returns the message of a stream event that is an error
// object: {"error": {"message": ...}} or {"error": "..."}.
func streamError(data []byte) (string, bool) {
	if !bytes.Contains(data, []byte(`"error"`)) { // a chunk's text has its quotes escaped
		return "", false
	}
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(data, &e) != nil || len(e.Error) == 0 || string(e.Error) == "null" {
		return "", false
	}
	var obj struct {
		Message string `json:"message"`
	}
	var s string
	switch {
	case json.Unmarshal(e.Error, &obj) == nil && obj.Message != "":
		return obj.Message, true
	case json.Unmarshal(e.Error, &s) == nil && s != "":
		return s, true
	}
	return "the stream ended with an error", true
}
