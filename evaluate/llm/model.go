package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Model makes outputs from whole rows, a batch at a time: a served model's
// /invocations ([Invocations]) or a model loaded in this process (a
// promptlab model, through package evaluate).
type Model interface {
	// Predict returns one output per row; each row holds the values of
	// cols, in order.
	Predict(ctx context.Context, cols []string, rows [][]string) ([]string, error)
}

// DefaultBatchRows is how many rows Predict sends in one call unless told.
const DefaultBatchRows = 16

// Predict sends the rows of tab, the columns cols (a null value is sent
// as ""), to m in batches of batch rows (0: DefaultBatchRows), at most
// concurrency batches at once (0: 1). It returns the outputs and each
// row's latency in seconds: the time its batch took. The first failure
// stops it and names its rows.
func Predict(ctx context.Context, m Model, cols []string, tab *Table, batch, concurrency int) ([]*string, []float64, error) {
	if len(cols) == 0 {
		return nil, nil, errors.New("the model takes no input columns")
	}
	data := make([][]*string, len(cols))
	for i, c := range cols {
		col, err := tab.TextColumn(c)
		if err != nil {
			return nil, nil, fmt.Errorf("the model's input %q: %w", c, err)
		}
		data[i] = col
	}
	if batch <= 0 {
		batch = DefaultBatchRows
	}
	n := len(tab.Data)
	outs, lat := make([]*string, n), make([]float64, n)
	err := fanOut(ctx, (n+batch-1)/batch, concurrency, func(ctx context.Context, k int) error {
		lo := k * batch
		hi := min(lo+batch, n)
		rows := make([][]string, hi-lo)
		for r := range rows {
			rows[r] = make([]string, len(cols))
			for c := range cols {
				if v := data[c][lo+r]; v != nil {
					rows[r][c] = *v
				}
			}
		}
		start := time.Now()
		got, err := m.Predict(ctx, cols, rows)
		took := time.Since(start).Seconds()
		if err == nil && len(got) != len(rows) {
			err = fmt.Errorf("the model answered %d outputs for %d rows", len(got), len(rows))
		}
		if err != nil {
			return fmt.Errorf("rows %d to %d: %w", lo+1, hi, err)
		}
		for r := range got {
			outs[lo+r], lat[lo+r] = &got[r], took
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return outs, lat, nil
}

// maxAnswerBytes bounds the answer of one /invocations call.
const maxAnswerBytes = 64 << 20

// Invocations is a model served over MLflow's scoring protocol (berth
// serve, mlflow models serve): each batch is POSTed to URL as
// {"dataframe_split": {"columns": ..., "data": ...}} and the answer's
// "predictions" are the outputs: a string per row, or an object per row
// with one string field (such as {"output": "..."}).
type Invocations struct {
	URL string
	// Token, when set, is sent as "Authorization: Bearer Token".
	Token string
	// Client makes the calls. Default: one with a 5-minute timeout.
	Client *http.Client
}

var defaultInvocationsClient = &http.Client{Timeout: 5 * time.Minute}

// Predict scores rows on the served model.
func (m *Invocations) Predict(ctx context.Context, cols []string, rows [][]string) ([]string, error) {
	body, err := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": cols, "data": rows}})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if m.Token != "" {
		req.Header.Set("Authorization", "Bearer "+m.Token)
	}
	c := m.Client
	if c == nil {
		c = defaultInvocationsClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s: %w", m.URL, err)
	}
	if len(b) > maxAnswerBytes {
		return nil, fmt.Errorf("the answer of %s is over %d MiB", m.URL, maxAnswerBytes>>20)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s: %s", m.URL, resp.Status, snippet(b))
	}
	return ParsePredictions(b)
}

// snippet is the start of an answer, for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// ParsePredictions reads a scoring answer, {"predictions": [...]}, as one
// text per row: each prediction a string, or an object with exactly one
// field whose value is a string.
func ParsePredictions(b []byte) ([]string, error) {
	var ans struct {
		Predictions []json.RawMessage `json:"predictions"`
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return nil, fmt.Errorf("the answer is not a scoring answer: %w: %s", err, snippet(b))
	}
	if ans.Predictions == nil {
		return nil, fmt.Errorf(`the answer has no "predictions": %s`, snippet(b))
	}
	out := make([]string, len(ans.Predictions))
	for i, p := range ans.Predictions {
		if string(bytes.TrimSpace(p)) == "null" {
			return nil, fmt.Errorf("prediction %d is null, not text", i+1)
		}
		if err := json.Unmarshal(p, &out[i]); err == nil {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(p, &obj); err == nil && len(obj) == 1 {
			var ok bool
			for _, v := range obj {
				ok = string(bytes.TrimSpace(v)) != "null" && json.Unmarshal(v, &out[i]) == nil
			}
			if ok {
				continue
			}
		}
		return nil, fmt.Errorf("prediction %d is not text (a string, or an object with one string field): %s", i+1, snippet(p))
	}
	return out, nil
}
