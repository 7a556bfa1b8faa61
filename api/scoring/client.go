package scoring

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// InvocationRequest is a typed scoring request body: one of
// [DataframeSplit], [DataframeRecords], [Instances] or [Inputs].
type InvocationRequest interface {
	// body returns the JSON object for the request.
	body() map[string]any
}

// DataframeSplit is {"dataframe_split": {"columns": ..., "data": ...}}.
type DataframeSplit struct {
	Columns []string // nil to send none
	Data    [][]any
	Index   []any // nil to send none
	Params  map[string]any
}

func (r DataframeSplit) body() map[string]any {
	split := map[string]any{"data": r.Data}
	if r.Columns != nil {
		split["columns"] = r.Columns
	}
	if r.Index != nil {
		split["index"] = r.Index
	}
	return withParams(map[string]any{FieldDataframeSplit: split}, r.Params)
}

// DataframeRecords is {"dataframe_records": [{"col": value, ...}, ...]}.
type DataframeRecords struct {
	Records []map[string]any
	Params  map[string]any
}

func (r DataframeRecords) body() map[string]any {
	return withParams(map[string]any{FieldDataframeRecords: r.Records}, r.Params)
}

// Instances is {"instances": ...}: a list of rows or of records.
type Instances struct {
	Instances any
	Params    map[string]any
}

func (r Instances) body() map[string]any {
	return withParams(map[string]any{FieldInstances: r.Instances}, r.Params)
}

// Inputs is {"inputs": ...}: nested lists, or an object of named inputs
// or columns.
type Inputs struct {
	Inputs any
	Params map[string]any
}

func (r Inputs) body() map[string]any {
	return withParams(map[string]any{FieldInputs: r.Inputs}, r.Params)
}

func withParams(m map[string]any, params map[string]any) map[string]any {
	if params != nil {
		m[FieldParams] = params
	}
	return m
}

// Client calls a scoring server's POST /invocations.
type Client struct {
	// BaseURL is the server's address, such as http://127.0.0.1:5000.
	BaseURL string
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Token, when set, is sent as "Authorization: Bearer <Token>".
	Token string
}

// Predict sends req as JSON and returns the predictions; numbers in them
// are json.Number, so integers and floats stay apart.
func (c *Client) Predict(ctx context.Context, req InvocationRequest) (*Response, error) {
	if req == nil {
		return nil, errors.New("scoring: nil request")
	}
	body, err := json.Marshal(req.body())
	if err != nil {
		return nil, fmt.Errorf("encoding scoring request: %w", err)
	}
	return c.PredictRaw(ctx, ContentTypeJSON, body)
}

// PredictRaw sends body with the given Content-Type (none when empty). A non-2xx answer is
// an [*Error] when the server wrote MLflow's error JSON, a
// [*MediaTypeError] for 415, and a plain error naming the status
// otherwise.
func (c *Client) PredictRaw(ctx context.Context, contentType string, body []byte) (*Response, error) {
	url := strings.TrimRight(c.BaseURL, "/") + "/invocations"
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building scoring request: %w", err)
	}
	if contentType != "" {
		hreq.Header.Set("Content-Type", contentType)
	}
	hreq.Header.Set("Accept", ContentTypeJSON)
	if c.Token != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("calling %s: %w", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the response of %s: %w", url, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e ErrorResponse
		if json.Unmarshal(data, &e) == nil && e.ErrorCode != "" {
			return nil, &Error{Code: e.ErrorCode, Message: e.Message}
		}
		if resp.StatusCode == http.StatusUnsupportedMediaType {
			return nil, &MediaTypeError{Msg: strings.TrimSpace(string(data))}
		}
		return nil, fmt.Errorf("calling %s: %s: %s", url, resp.Status, truncate(strings.TrimSpace(string(data)), 200))
	}
	var out Response
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decoding the response of %s: %w", url, err)
	}
	return &out, nil
}
