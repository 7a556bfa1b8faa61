package iristest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// sklearnAnswer is berth's /invocations answer made of sklearn's outputs,
// edited by edit.
func sklearnAnswer(t *testing.T, s Scoring, edit func(preds []map[string]any)) []byte {
	t.Helper()
	preds := make([]map[string]any, len(s.Labels))
	for i := range preds {
		preds[i] = map[string]any{"label": s.Labels[i], "probabilities": slices.Clone(s.Probabilities[i])}
	}
	edit(preds)
	b, err := json.Marshal(map[string]any{"predictions": preds})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadScoring(t *testing.T) {
	s := ReadScoring(t)
	var req struct {
		DataframeSplit struct {
			Columns []string    `json:"columns"`
			Data    [][]float64 `json:"data"`
		} `json:"dataframe_split"`
	}
	if err := json.Unmarshal(s.Body, &req); err != nil {
		t.Fatalf("body %s: %v", s.Body, err)
	}
	if !slices.Equal(req.DataframeSplit.Columns, Features) || len(req.DataframeSplit.Data) != 4 {
		t.Fatalf("body %s: want the four feature columns and expected.json's 4 rows", s.Body)
	}
	// iris rows 0, 50, 100 and 149: setosa, versicolor, virginica, virginica.
	if !slices.Equal(s.Labels, []int64{0, 1, 2, 2}) || req.DataframeSplit.Data[0][0] != 5.1 {
		t.Errorf("labels %v, first row %v", s.Labels, req.DataframeSplit.Data[0])
	}
}

func TestScoringCheck(t *testing.T) {
	s := ReadScoring(t)
	none := func([]map[string]any) {}
	tests := []struct {
		name    string
		status  int
		answer  []byte
		wantErr string // "" when the answer is sklearn's
	}{
		{"sklearn's answer", 200, sklearnAnswer(t, s, none), ""},
		{"float32 rounding", 200, sklearnAnswer(t, s, func(p []map[string]any) {
			for _, r := range p {
				for j, v := range r["probabilities"].([]float64) {
					r["probabilities"].([]float64)[j] = float64(float32(v))
				}
			}
		}), ""},
		{"an error status", 503, []byte(`{"error_code": "TEMPORARILY_UNAVAILABLE"}`), "status 503"},
		{"not JSON", 200, []byte("<html>"), "not MLflow's predictions"},
		{"an empty answer", 200, nil, "not MLflow's predictions"},
		{"a row short", 200, []byte(`{"predictions": [{"label": 0}]}`), "1 predictions for 4 rows"},
		{"a wrong label", 200, sklearnAnswer(t, s, func(p []map[string]any) { p[3]["label"] = 1 }), "row 3: label 1, want sklearn's 2"},
		{"no label", 200, sklearnAnswer(t, s, func(p []map[string]any) { delete(p[0], "label") }), "row 0: label missing"},
		{"a wrong probability", 200, sklearnAnswer(t, s, func(p []map[string]any) { p[1]["probabilities"].([]float64)[2] += 1e-3 }),
			"row 1: probability 2"},
		{"a probability missing", 200, sklearnAnswer(t, s, func(p []map[string]any) { p[2]["probabilities"] = []float64{0, 0} }),
			"row 2: 2 probabilities, want 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Check(tt.status, tt.answer)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

// TestCheckInvocations posts to a stand-in for berth serve that answers
// sklearn's outputs when it gets the check's body.
func TestCheckInvocations(t *testing.T) {
	s := ReadScoring(t)
	answer := sklearnAnswer(t, s, func([]map[string]any) {})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body json.RawMessage
		if r.URL.Path != "/invocations" || r.Header.Get("Content-Type") != "application/json" ||
			json.NewDecoder(r.Body).Decode(&body) != nil || string(body) != string(s.Body) {
			http.Error(w, "not the check's request", http.StatusBadRequest)
			return
		}
		w.Write(answer)
	}))
	defer ts.Close()
	CheckInvocations(t, ts.URL)
}
