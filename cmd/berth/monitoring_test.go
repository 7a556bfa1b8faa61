package main

import (
	"net/http"
	"strings"
	"testing"
)

// Helpers of the tests that read what berth serve writes back.

func sum(vs []float64) (s float64) {
	for _, v := range vs {
		s += v
	}
	return s
}

// scoreIris scores one iris row at url's /invocations.
func scoreIris(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Post(url+"/invocations", "application/json", strings.NewReader(
		`{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2]]}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scoring: %s", resp.Status)
	}
}
