package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestParsePredictions(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
		err  string
	}{
		{`{"predictions": ["a", "b"]}`, []string{"a", "b"}, ""},
		{`{"predictions": []}`, []string{}, ""},
		{`{"predictions": [{"output": "x"}, {"text": ""}]}`, []string{"x", ""}, ""},
		{`{"predictions": ["a"], "other": 1}`, []string{"a"}, ""},
		{`{"predictions": [1]}`, nil, "prediction 1 is not text"},
		{`{"predictions": ["a", null]}`, nil, "prediction 2 is null"},
		{`{"predictions": [{"output": null}]}`, nil, "prediction 1 is not text"},
		{`{"predictions": [{"a": "x", "b": "y"}]}`, nil, "one string field"},
		{`{"predictions": [["x"]]}`, nil, "not text"},
		{`{"outputs": ["a"]}`, nil, `no "predictions"`},
		{`{"predictions": null}`, nil, `no "predictions"`},
		{`[1, 2]`, nil, "not a scoring answer"},
		{``, nil, "not a scoring answer"},
	} {
		got, err := ParsePredictions([]byte(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %q, %v; want an error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) || len(got) != len(tt.want) {
			t.Errorf("%s: %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParsePredictions: any answer gives texts or an error, never a panic,
// and texts only for a "predictions" list of that many entries.
func FuzzParsePredictions(f *testing.F) {
	for _, s := range []string{`{"predictions": ["a"]}`, `{"predictions": [{"o": "x"}]}`, `{"predictions": [null]}`, `{}`, `[`, `{"predictions": [1, "a"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParsePredictions(b)
		if err != nil {
			return
		}
		var ans struct{ Predictions []json.RawMessage }
		if json.Unmarshal(b, &ans) != nil || len(ans.Predictions) != len(got) {
			t.Fatalf("%q parsed to %q", b, got)
		}
	})
}

// recorder is a Model that answers each row with its values joined, and
// records the batch sizes it was sent.
type recorder struct {
	mu      sync.Mutex
	batches []int
	failAt  string // a value whose batch fails
}

func (r *recorder) Predict(_ context.Context, cols []string, rows [][]string) ([]string, error) {
	r.mu.Lock()
	r.batches = append(r.batches, len(rows))
	r.mu.Unlock()
	out := make([]string, len(rows))
	for i, row := range rows {
		if r.failAt != "" && row[0] == r.failAt {
			return nil, errors.New("engine down")
		}
		out[i] = strings.Join(cols, "+") + "=" + strings.Join(row, "|")
	}
	return out, nil
}

func TestPredictBatches(t *testing.T) {
	tab := &Table{Columns: []string{"q", "ctx", "truth"}}
	for i := range 7 {
		tab.Data = append(tab.Data, []any{fmt.Sprint("q", i), nil, "t"})
	}
	for _, tt := range []struct {
		batch, conc int
		calls       int
	}{{2, 1, 4}, {2, 3, 4}, {0, 1, 1}, {7, 4, 1}, {1, 8, 7}} {
		r := &recorder{}
		outs, lat, err := Predict(context.Background(), r, []string{"q", "ctx"}, tab, tt.batch, tt.conc)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.batches) != tt.calls {
			t.Errorf("batch %d: %d calls (%v), want %d", tt.batch, len(r.batches), r.batches, tt.calls)
		}
		for i := range 7 {
			if want := fmt.Sprintf("q+ctx=q%d|", i); *outs[i] != want || lat[i] < 0 {
				t.Errorf("batch %d row %d: %q (latency %v), want %q", tt.batch, i, *outs[i], lat[i], want)
			}
		}
	}
	_, _, err := Predict(context.Background(), &recorder{failAt: "q5"}, []string{"q"}, tab, 2, 2)
	if err == nil || !strings.Contains(err.Error(), "rows 5 to 6: engine down") {
		t.Errorf("a failing batch: %v", err)
	}
	if _, _, err := Predict(context.Background(), &recorder{}, []string{"nope"}, tab, 2, 1); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("a missing column: %v", err)
	}
	if _, _, err := Predict(context.Background(), &recorder{}, nil, tab, 2, 1); err == nil {
		t.Error("no columns: no error")
	}
}

func TestInvocations(t *testing.T) {
	var sawAuth string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAuth = r.Header.Get("Authorization")
		var req struct {
			DataframeSplit struct {
				Columns []string   `json:"columns"`
				Data    [][]string `json:"data"`
			} `json:"dataframe_split"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &req); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, `{"error_code": "BAD_REQUEST"}`, 400)
			return
		}
		if req.DataframeSplit.Data[0][0] == "boom" {
			http.Error(w, `{"error_code": "INVALID_PARAMETER_VALUE", "message": "no"}`, 400)
			return
		}
		preds := make([]string, len(req.DataframeSplit.Data))
		for i, row := range req.DataframeSplit.Data {
			preds[i] = strings.Join(req.DataframeSplit.Columns, ",") + ":" + strings.Join(row, ",")
		}
		json.NewEncoder(w).Encode(map[string]any{"predictions": preds})
	}))
	defer ts.Close()
	m := &Invocations{URL: ts.URL, Token: "tok"}
	got, err := m.Predict(context.Background(), []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}})
	if err != nil || strings.Join(got, ";") != "a,b:1,2;a,b:3,4" || sawAuth != "Bearer tok" {
		t.Errorf("%q %v (auth %q)", got, err, sawAuth)
	}
	if _, err := m.Predict(context.Background(), []string{"a"}, [][]string{{"boom"}}); err == nil || !strings.Contains(err.Error(), "400 Bad Request") || !strings.Contains(err.Error(), "INVALID_PARAMETER_VALUE") {
		t.Errorf("a refused batch: %v", err)
	}
}
