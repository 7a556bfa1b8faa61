package deployments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client calls an MLflow Deployments server (MLflow's, or berth's gateway)
// the way mlflow.deployments' client does. Its zero value is not usable:
// set BaseURL.
type Client struct {
	BaseURL    string       // e.g. http://127.0.0.1:5000
	HTTPClient *http.Client // nil: http.DefaultClient
	Token      string       // sent as "Authorization: Bearer Token" when set
}

// HTTPError is an answer other than 200. Detail is the error text found in
// the body (MLflow's detail, slowapi's error, or OpenAI's error.message),
// else empty.
type HTTPError struct {
	Status int
	Body   []byte
	Detail string
}

func (e *HTTPError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("gateway answered %d: %s", e.Status, e.Detail)
	}
	return fmt.Sprintf("gateway answered %d: %.200s", e.Status, e.Body)
}

// maxAnswer bounds a non-streamed answer the client reads (64 MiB).
const maxAnswer = 64 << 20

// ListEndpoints returns every endpoint, following next_page_token.
func (c *Client) ListEndpoints(ctx context.Context) ([]Endpoint, error) {
	var all []Endpoint
	token := ""
	for range 100000 {
		q := url.Values{}
		if token != "" {
			q.Set("page_token", token)
		}
		var page ListEndpointsResponse
		if err := c.do(ctx, http.MethodGet, "/api/2.0/endpoints/", q, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Endpoints...)
		if page.NextPageToken == nil || *page.NextPageToken == "" {
			return all, nil
		}
		token = *page.NextPageToken
	}
	return nil, errors.New("listing endpoints: too many pages")
}

// GetEndpoint returns one endpoint.
func (c *Client) GetEndpoint(ctx context.Context, name string) (*Endpoint, error) {
	var e Endpoint
	if err := c.do(ctx, http.MethodGet, "/api/2.0/endpoints/"+url.PathEscape(name), nil, nil, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// Chat queries a chat endpoint (POST /endpoints/{name}/invocations).
func (c *Client) Chat(ctx context.Context, endpoint string, req *ChatRequest) (*ChatResponse, error) {
	var out ChatResponse
	if err := c.do(ctx, http.MethodPost, invocations(endpoint), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Completions queries a completions endpoint.
func (c *Client) Completions(ctx context.Context, endpoint string, req *CompletionsRequest) (*CompletionsResponse, error) {
	var out CompletionsResponse
	if err := c.do(ctx, http.MethodPost, invocations(endpoint), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Embeddings queries an embeddings endpoint.
func (c *Client) Embeddings(ctx context.Context, endpoint string, req *EmbeddingsRequest) (*EmbeddingsResponse, error) {
	var out EmbeddingsResponse
	if err := c.do(ctx, http.MethodPost, invocations(endpoint), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChatStream queries a chat endpoint with stream set and calls fn with
// each chunk until the stream ends.
func (c *Client) ChatStream(ctx context.Context, endpoint string, req *ChatRequest, fn func(*ChatChunk) error) error {
	r := *req
	r.Stream = Ptr(true)
	return c.stream(ctx, invocations(endpoint), &r, func(data []byte) error {
		var ch ChatChunk
		if err := json.Unmarshal(data, &ch); err != nil {
			return fmt.Errorf("decoding a chat chunk: %w", err)
		}
		return fn(&ch)
	})
}

// CompletionsStream queries a completions endpoint with stream set and
// calls fn with each chunk until the stream ends.
func (c *Client) CompletionsStream(ctx context.Context, endpoint string, req *CompletionsRequest, fn func(*CompletionsChunk) error) error {
	r := *req
	r.Stream = Ptr(true)
	return c.stream(ctx, invocations(endpoint), &r, func(data []byte) error {
		var ch CompletionsChunk
		if err := json.Unmarshal(data, &ch); err != nil {
			return fmt.Errorf("decoding a completions chunk: %w", err)
		}
		return fn(&ch)
	})
}

func invocations(endpoint string) string {
	return "/endpoints/" + url.PathEscape(endpoint) + "/invocations"
}

func (c *Client) stream(ctx context.Context, path string, in any, fn func([]byte) error) error {
	resp, err := c.send(ctx, http.MethodPost, path, nil, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return readError(resp)
	}
	return ReadEvents(resp.Body, func(data []byte) error {
		if bytes.Equal(data, Done) {
			return nil
		}
		return fn(data)
	})
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	resp, err := c.send(ctx, method, path, q, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return readError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("reading the %s answer: %w", path, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decoding the %s answer: %w", path, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, path string, q url.Values, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encoding the %s request: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	u := strings.TrimSuffix(c.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("building the %s request: %w", path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling %s %s: %w", method, path, err)
	}
	return resp, nil
}

func readError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return &HTTPError{Status: resp.StatusCode, Body: b, Detail: ErrorDetail(b)}
}

// ErrorDetail finds the error text in an error body: MLflow's string
// detail, slowapi's error string, or OpenAI's error.message. It returns ""
// when there is none (a 422's detail list included).
func ErrorDetail(body []byte) string {
	var e struct {
		Detail json.RawMessage `json:"detail"`
		Error  json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(e.Detail, &s) == nil {
		return s
	}
	if json.Unmarshal(e.Error, &s) == nil {
		return s
	}
	var o OpenAIErrorBody
	if json.Unmarshal(e.Error, &o) == nil {
		return o.Message
	}
	return ""
}
