package oip

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Client calls an Open Inference Protocol server's REST API.
type Client struct {
	// BaseURL is the server's address, such as http://localhost:8080; the
	// client adds the /v2/... paths.
	BaseURL string
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Token, when set, is sent as "Authorization: Bearer <Token>".
	Token string
}

// StatusError is a non-2xx answer from the server, with the message of its
// {"error": ...} body (or the body's start when it has none).
type StatusError struct {
	StatusCode int
	Message    string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("server answered %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

// ServerLive calls GET /v2/health/live.
func (c *Client) ServerLive(ctx context.Context) (bool, error) {
	var r struct {
		Live *bool `json:"live"`
	}
	if err := c.getJSON(ctx, "/v2/health/live", &r); err != nil {
		return false, err
	}
	return r.Live == nil || *r.Live, nil
}

// ServerReady calls GET /v2/health/ready.
func (c *Client) ServerReady(ctx context.Context) (bool, error) {
	var r struct {
		Ready *bool `json:"ready"`
	}
	if err := c.getJSON(ctx, "/v2/health/ready", &r); err != nil {
		return false, err
	}
	return r.Ready == nil || *r.Ready, nil
}

// ServerMetadata calls GET /v2.
func (c *Client) ServerMetadata(ctx context.Context) (*ServerMetadata, error) {
	var m ServerMetadata
	if err := c.getJSON(ctx, "/v2", &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// ModelReady calls GET /v2/models/{model}[/versions/{version}]/ready; an
// empty version leaves the choice to the server.
func (c *Client) ModelReady(ctx context.Context, model, version string) (bool, error) {
	var r struct {
		Ready *bool `json:"ready"`
	}
	if err := c.getJSON(ctx, modelPath(model, version)+"/ready", &r); err != nil {
		return false, err
	}
	return r.Ready == nil || *r.Ready, nil
}

// ModelMetadata calls GET /v2/models/{model}[/versions/{version}].
func (c *Client) ModelMetadata(ctx context.Context, model, version string) (*ModelMetadata, error) {
	var m ModelMetadata
	if err := c.getJSON(ctx, modelPath(model, version), &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Infer calls POST /v2/models/{model}[/versions/{version}]/infer. Inputs
// with Binary set go in the binary data extension, the others as JSON; the
// outputs come back as the request's parameters ask.
func (c *Client) Infer(ctx context.Context, model, version string, req *InferenceRequest) (*InferenceResponse, error) {
	body, headerLen, err := EncodeInferRequest(req)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", ContentTypeJSON)
	if headerLen >= 0 {
		h.Set("Content-Type", ContentTypeBinary)
		h.Set(HeaderInferenceContentLength, strconv.Itoa(headerLen))
	}
	resp, rh, err := c.do(ctx, http.MethodPost, modelPath(model, version)+"/infer", body, h)
	if err != nil {
		return nil, err
	}
	return DecodeInferResponse(resp, rh.Get(HeaderInferenceContentLength))
}

// InferBinary is Infer with every input sent as binary data (JSON data is
// converted) and every output asked for as binary data
// (binary_data_output), unless an output's own binary_data says otherwise.
func (c *Client) InferBinary(ctx context.Context, model, version string, req *InferenceRequest) (*InferenceResponse, error) {
	r := *req
	r.Parameters = maps.Clone(req.Parameters)
	if r.Parameters == nil {
		r.Parameters = Parameters{}
	}
	r.Parameters[ParamBinaryDataOutput] = true
	r.Inputs = make([]RequestInput, len(req.Inputs))
	for i, in := range req.Inputs {
		if in.Binary == nil {
			t, err := TensorFromInput(&in)
			if err != nil {
				return nil, fmt.Errorf("converting input to binary: %w", err)
			}
			b, err := NewBinaryInput(t)
			if err != nil {
				return nil, fmt.Errorf("converting input to binary: %w", err)
			}
			in.Binary, in.Data = b.Binary, nil
		}
		r.Inputs[i] = in
	}
	return c.Infer(ctx, model, version, &r)
}

func modelPath(model, version string) string {
	p := "/v2/models/" + url.PathEscape(model)
	if version != "" {
		p += "/versions/" + url.PathEscape(version)
	}
	return p
}

func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	body, _, err := c.do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil // Triton answers health probes with an empty 200.
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding %s response: %w", path, err)
	}
	return nil
}

// do sends one request and returns the body of a 2xx answer, or a
// *StatusError.
func (c *Client) do(ctx context.Context, method, path string, body []byte, h http.Header) ([]byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("building request: %w", err)
	}
	maps.Copy(req.Header, h)
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("calling %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s %s response: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e ErrorResponse
		msg := ""
		if json.Unmarshal(data, &e) == nil {
			msg = e.Error
		}
		if msg == "" {
			msg = strings.TrimSpace(string(data[:min(len(data), 512)]))
		}
		return nil, nil, &StatusError{StatusCode: resp.StatusCode, Message: msg}
	}
	return data, resp.Header, nil
}
