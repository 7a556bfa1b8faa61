package scoring_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/berthml/berth/api/scoring"
)

// fakeServer answers /invocations with the iris decoder and fakeIris, and
// maps errors to statuses the way berth's server does.
func fakeServer(t *testing.T) *httptest.Server {
	dec, err := scoring.NewDecoder(colspecSpec())
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(scoring.ErrorResponse{ErrorCode: scoring.CodeUnauthenticated, Message: "no token"})
			return
		}
		format, err := scoring.ParseContentType(r.Header.Get("Content-Type"))
		var me *scoring.MediaTypeError
		if errors.As(err, &me) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnsupportedMediaType)
			io.WriteString(w, me.Msg)
			return
		}
		body, _ := io.ReadAll(r.Body)
		req, err := dec.Decode(format, body)
		var se *scoring.Error
		if errors.As(err, &se) {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(scoring.ErrorResponse{ErrorCode: se.Code, Message: se.Message})
			return
		}
		out, err := dec.Encode(fakeIris(t, req.Inputs[0]), req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	}))
}

func TestClient(t *testing.T) {
	srv := fakeServer(t)
	defer srv.Close()
	c := &scoring.Client{BaseURL: srv.URL + "/", HTTPClient: srv.Client(), Token: "s3cret"}
	ctx := context.Background()
	requests := map[string]scoring.InvocationRequest{
		"split": scoring.DataframeSplit{Columns: irisColumns, Data: [][]any{{5.1, 3.5, 1.4, 0.2}, {6.9, 3.2, 5.7, 2.3}}},
		"records": scoring.DataframeRecords{Records: []map[string]any{
			{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
			{"sepal_length": 6.9, "sepal_width": 3.2, "petal_length": 5.7, "petal_width": 2.3},
		}},
		"inputs": scoring.Inputs{Inputs: map[string][]float64{
			"sepal_length": {5.1, 6.9}, "sepal_width": {3.5, 3.2}, "petal_length": {1.4, 5.7}, "petal_width": {0.2, 2.3},
		}, Params: map[string]any{"ignored": 1}},
		"instances": scoring.Instances{Instances: []map[string]float64{
			{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
			{"sepal_length": 6.9, "sepal_width": 3.2, "petal_length": 5.7, "petal_width": 2.3},
		}},
	}
	for name, req := range requests {
		t.Run(name, func(t *testing.T) {
			resp, err := c.Predict(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(resp.Predictions)
			if string(got) != "[0,2]" {
				t.Errorf("predictions %s, want [0,2]", got)
			}
		})
	}
	t.Run("csv", func(t *testing.T) {
		resp, err := c.PredictRaw(ctx, "text/csv", []byte(csvIris))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(resp.Predictions); string(got) != "[0,2]" {
			t.Errorf("predictions %s", got)
		}
	})
	t.Run("error", func(t *testing.T) {
		_, err := c.Predict(ctx, scoring.Inputs{Inputs: [][]float64{{1, 2, 3, 4}}})
		var se *scoring.Error
		if !errors.As(err, &se) || se.Code != scoring.CodeInvalidParameterValue {
			t.Fatalf("got %v, want INVALID_PARAMETER_VALUE", err)
		}
	})
	t.Run("media type", func(t *testing.T) {
		_, err := c.PredictRaw(ctx, "text/plain", []byte("x"))
		var me *scoring.MediaTypeError
		if !errors.As(err, &me) {
			t.Fatalf("got %v, want a *MediaTypeError", err)
		}
	})
	t.Run("token", func(t *testing.T) {
		anon := &scoring.Client{BaseURL: srv.URL, HTTPClient: srv.Client()}
		_, err := anon.PredictRaw(ctx, "text/csv", []byte(csvIris))
		var se *scoring.Error
		if !errors.As(err, &se) || se.Code != scoring.CodeUnauthenticated {
			t.Fatalf("got %v, want UNAUTHENTICATED", err)
		}
	})
}
