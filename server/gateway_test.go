package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/berthml/berth/server"
	"github.com/berthml/berth/server/servertest"
)

// TestGatewayTokens: a gateway mounted on a server with tokens is guarded by
// them (listing reads, calling writes), unless the gateway checks keys of
// its own.
func TestGatewayTokens(t *testing.T) {
	gw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"gateway":true}`))
	})
	isGateway := func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/api/2.0/endpoints") || strings.HasPrefix(r.URL.Path, "/endpoints/")
	}
	tokens := server.WithTokens([]string{"reader"}, []string{"writer"})
	info := server.WithGatewayInfo(gw) // the UI's gateway page: read access, whoever authenticates the gateway
	guarded := servertest.New(t, tokens, server.WithGateway(gw, isGateway), info)
	own := servertest.New(t, tokens, server.WithGateway(gw, isGateway), server.WithGatewayOwnAuth(), info)
	cases := []struct {
		name, url, method, path, token string
		want                           int
		code                           string
	}{
		{"list without a token", guarded.URL, "GET", "/api/2.0/endpoints/", "", 401, "UNAUTHENTICATED"},
		{"list with an unknown token", guarded.URL, "GET", "/api/2.0/endpoints/", "nope", 401, "UNAUTHENTICATED"},
		{"list with a read token", guarded.URL, "GET", "/api/2.0/endpoints/", "reader", 200, ""},
		{"call with a read token", guarded.URL, "POST", "/endpoints/chat/invocations", "reader", 403, "PERMISSION_DENIED"},
		{"call with a write token", guarded.URL, "POST", "/endpoints/chat/invocations", "writer", 200, ""},
		{"tracking routes unchanged", guarded.URL, "GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", "", 401, "UNAUTHENTICATED"},
		{"own auth: no server token asked", own.URL, "POST", "/endpoints/chat/invocations", "", 200, ""},
		{"own auth: tracking still guarded", own.URL, "GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", "", 401, "UNAUTHENTICATED"},
		{"gateway info without a token", guarded.URL, "GET", server.GatewayInfoPath + "/keys", "", 401, "UNAUTHENTICATED"},
		{"own auth: gateway info without a token", own.URL, "GET", server.GatewayInfoPath + "/keys", "", 401, "UNAUTHENTICATED"},
		{"own auth: gateway info with a read token", own.URL, "GET", server.GatewayInfoPath + "/keys", "reader", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, c.url+c.path, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Gateway   bool   `json:"gateway"`
				ErrorCode string `json:"error_code"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != c.want || body.ErrorCode != c.code {
				t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, resp.StatusCode, body.ErrorCode, c.want, c.code)
			}
			if c.want == 200 && (strings.HasPrefix(c.path, "/endpoints") || strings.HasPrefix(c.path, server.GatewayInfoPath)) && !body.Gateway {
				t.Errorf("%s %s did not reach the gateway", c.method, c.path)
			}
			if c.want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}
