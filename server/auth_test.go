package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/berthml/berth/server"
	"github.com/berthml/berth/server/servertest"
)

func TestTokens(t *testing.T) {
	ts := servertest.New(t, server.WithTokens([]string{"reader"}, []string{"writer"}))
	cases := []struct {
		name, method, path, token string
		want                      int
	}{
		{"health is open", "GET", "/health", "", 200},
		{"version is open", "GET", "/version", "", 200},
		{"no token", "GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", "", 401},
		{"unknown token", "GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", "nope", 401},
		{"read with reader", "GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", "reader", 200},
		{"read with writer", "GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id=0", "writer", 200},
		{"write with reader", "POST", "/api/2.0/mlflow/experiments/create", "reader", 403},
		{"write with writer", "POST", "/api/2.0/mlflow/experiments/create", "writer", 200},
		{"artifact upload with reader", "PUT", "/api/2.0/mlflow-artifacts/artifacts/0/x.txt", "reader", 403},
		{"artifact upload with writer", "PUT", "/api/2.0/mlflow-artifacts/artifacts/0/x.txt", "writer", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := `{"name": "e-` + strings.ReplaceAll(c.name, " ", "-") + `"}`
			req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("%s %s with %q = %d, want %d", c.method, c.path, c.token, resp.StatusCode, c.want)
			}
		})
	}
}
