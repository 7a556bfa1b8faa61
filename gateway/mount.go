package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/berthml/berth/internal/httpguard"
)

// ProxyPath is the tracking server's route that MLflow's prompt tooling
// reaches the gateway through.
const ProxyPath = "/ajax-api/2.0/mlflow/gateway-proxy"

// Mount returns the gateway's routes for a server that mounts them beside
// its own (berth server --gateway-config): every route of Handler but
// /health (the server answers its own), plus ProxyPath, and match, which
// reports whether a request is the gateway's.
func (g *Gateway) Mount() (h http.Handler, match func(*http.Request) bool) {
	mux := http.NewServeMux()
	for _, p := range Paths {
		if p != "/health" {
			mux.HandleFunc(p, g.route(p))
		}
	}
	mux.HandleFunc(ProxyPath, g.proxy)
	return mux, func(r *http.Request) bool {
		_, pattern := mux.Handler(r)
		return pattern != ""
	}
}

// proxyError is the tracking server's error shape.
func proxyError(w http.ResponseWriter, status int, code, msg string) {
	answerJSON(w, status, map[string]string{"error_code": code, "message": msg})
}

// proxy answers GET|POST /ajax-api/2.0/mlflow/gateway-proxy as MLflow
// 2.17.2's tracking server does with MLFLOW_DEPLOYMENTS_TARGET set to this
// gateway (testdata/conformance/mlflow-promptlab): gateway_path and
// json_data from the query (GET) or the JSON body (POST); the gateway's
// 200 answer re-encoded with sorted keys; any other answer 500
// INTERNAL_ERROR quoting it. A gateway started without a config answers
// {"endpoints": []} to everything, as MLflow's does without a target.
func (g *Gateway) proxy(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		proxyError(w, http.StatusMethodNotAllowed, "BAD_REQUEST", "Method "+r.Method+" is not allowed on "+ProxyPath)
		return
	}
	if !g.configured {
		answerJSON(w, http.StatusOK, map[string]any{"endpoints": []any{}})
		return
	}
	var path string
	var data json.RawMessage
	if r.Method == http.MethodGet {
		path = r.URL.Query().Get("gateway_path")
		if j := r.URL.Query().Get("json_data"); j != "" {
			data = json.RawMessage(j)
		}
	} else {
		if !isJSON(r.Header.Get("Content-Type")) {
			proxyError(w, http.StatusBadRequest, "BAD_REQUEST", "The gateway proxy takes a JSON body (Content-Type: application/json).")
			return
		}
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.opts.maxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				proxyError(w, http.StatusRequestEntityTooLarge, "REQUEST_LIMIT_EXCEEDED", fmt.Sprintf("The request body is larger than %d bytes.", g.opts.maxBody))
			case errors.Is(err, httpguard.ErrBodyTimeout):
				proxyError(w, http.StatusRequestTimeout, "BAD_REQUEST", "The request body did not arrive in time.")
			default:
				proxyError(w, http.StatusBadRequest, "BAD_REQUEST", "The request body could not be read.")
			}
			return
		}
		var req struct {
			GatewayPath string          `json:"gateway_path"`
			JSONData    json.RawMessage `json:"json_data"`
		}
		if err := json.Unmarshal(b, &req); err != nil {
			proxyError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "The gateway proxy's body is not a JSON object: "+err.Error())
			return
		}
		path, data = req.GatewayPath, req.JSONData
	}
	if path == "" {
		proxyError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Deployments proxy request must specify a gateway_path.")
		return
	}
	u, err := url.Parse("/" + strings.TrimLeft(path, "/"))
	if err != nil || u.Path == ProxyPath {
		proxyError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "gateway_path "+path+" is not a gateway path.")
		return
	}
	if isStream(data) {
		proxyError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "The gateway proxy does not stream: leave stream unset in json_data.")
		return
	}
	inner := r.Clone(r.Context())
	inner.URL = u
	inner.RequestURI = u.RequestURI()
	inner.Body = io.NopCloser(bytes.NewReader(data))
	inner.ContentLength = int64(len(data))
	inner.Header = r.Header.Clone()
	inner.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	g.Handler().ServeHTTP(rec, inner)
	if rec.Code != http.StatusOK {
		proxyError(w, http.StatusInternalServerError, "INTERNAL_ERROR",
			fmt.Sprintf("Deployments proxy request failed with error code %d. Error message: %s", rec.Code, strings.TrimSpace(rec.Body.String())))
		return
	}
	var v any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		proxyError(w, http.StatusInternalServerError, "INTERNAL_ERROR", "The gateway's answer is not JSON.")
		return
	}
	answerJSON(w, http.StatusOK, v) // maps encode with sorted keys, as Flask re-serialises
}

func isStream(data json.RawMessage) bool {
	var m struct {
		Stream any `json:"stream"`
	}
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	b, ok := m.Stream.(bool)
	return ok && b
}
