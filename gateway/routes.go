package gateway

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/api/deployments"
)

// Handler returns the gateway's routes:
//
//	GET  /health                                 {"status":"OK"}
//	GET  /api/2.0/endpoints/                     the endpoints, 3000 a page
//	GET  /api/2.0/endpoints/{name}               one endpoint
//	GET  /api/2.0/gateway/routes/[{name}]        the same in MLflow's legacy shape
//	     /api/2.0/{endpoints,gateway}/limits/... 501, as MLflow
//	POST /endpoints/{name}/invocations           a query (also /gateway/{name}/invocations,
//	                                             and MLflow 3's /gateway/{name}/mlflow/invocations)
//	POST /v1/chat/completions, /v1/completions, /v1/embeddings
//	                                             OpenAI-compatible, model = the endpoint's name
//	                                             (also MLflow 3's /gateway/mlflow/v1/chat/completions)
//
// Anything else is 404 {"detail":"Not Found"}.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	g.Register(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, mlflowFormat, answerFor(notFound(), nil))
	})
	return mux
}

// Register adds the gateway's routes to mux (without a catch-all), for a
// server that mounts them beside its own.
func (g *Gateway) Register(mux *http.ServeMux) {
	for _, p := range Paths {
		mux.HandleFunc(p, g.route(p))
	}
}

// Paths are the gateway's route patterns (net/http ServeMux syntax).
var Paths = []string{
	"/health",
	"/api/2.0/endpoints/{$}",
	"/api/2.0/endpoints/{name}",
	"/api/2.0/gateway/routes/{$}",
	"/api/2.0/gateway/routes/{name}",
	"/api/2.0/endpoints/limits/{$}",
	"/api/2.0/endpoints/limits/{name}",
	"/api/2.0/gateway/limits/{$}",
	"/api/2.0/gateway/limits/{name}",
	"/endpoints/{name}/invocations",
	"/gateway/{name}/invocations",
	"/gateway/{name}/mlflow/invocations",
	"/v1/chat/completions",
	"/v1/completions",
	"/v1/embeddings",
	"/gateway/mlflow/v1/chat/completions",
}

func (g *Gateway) route(pattern string) http.HandlerFunc {
	method := http.MethodGet
	var h func(w http.ResponseWriter, r *http.Request)
	switch pattern {
	case "/health":
		h = func(w http.ResponseWriter, r *http.Request) {
			answerJSON(w, http.StatusOK, map[string]string{"status": "OK"})
		}
	case "/api/2.0/endpoints/{$}":
		h = func(w http.ResponseWriter, r *http.Request) { g.list(w, r, false) }
	case "/api/2.0/gateway/routes/{$}":
		h = func(w http.ResponseWriter, r *http.Request) { g.list(w, r, true) }
	case "/api/2.0/endpoints/{name}":
		h = func(w http.ResponseWriter, r *http.Request) { g.get(w, r, false) }
	case "/api/2.0/gateway/routes/{name}":
		h = func(w http.ResponseWriter, r *http.Request) { g.get(w, r, true) }
	case "/api/2.0/endpoints/limits/{name}", "/api/2.0/gateway/limits/{name}":
		h = func(w http.ResponseWriter, r *http.Request) {
			answerJSON(w, http.StatusNotImplemented, map[string]string{"detail": "The get_limits API is not available yet."})
		}
	case "/api/2.0/endpoints/limits/{$}", "/api/2.0/gateway/limits/{$}":
		method = http.MethodPost
		h = g.setLimits
	case "/endpoints/{name}/invocations", "/gateway/{name}/invocations", "/gateway/{name}/mlflow/invocations":
		method = http.MethodPost
		h = g.invocations
	case "/v1/chat/completions", "/gateway/mlflow/v1/chat/completions":
		method = http.MethodPost
		h = func(w http.ResponseWriter, r *http.Request) { g.openai(w, r, deployments.TypeChat) }
	case "/v1/completions":
		method = http.MethodPost
		h = func(w http.ResponseWriter, r *http.Request) { g.openai(w, r, deployments.TypeCompletions) }
	case "/v1/embeddings":
		method = http.MethodPost
		h = func(w http.ResponseWriter, r *http.Request) { g.openai(w, r, deployments.TypeEmbeddings) }
	}
	f := mlflowFormat // the format of the route's errors
	if strings.Contains(pattern, "/v1/") {
		f = openaiFormat
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			writeError(w, f, answerFor(&clientError{http.StatusMethodNotAllowed, "Method Not Allowed"}, nil))
			return
		}
		h(w, r)
	}
}

func answerJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	writeJSON(w, status, v)
}

// pageSize is MLflow's endpoint page size.
const pageSize = 3000

// list answers GET /api/2.0/endpoints/ (or the legacy routes/).
func (g *Gateway) list(w http.ResponseWriter, r *http.Request, legacy bool) {
	all := g.state.Load().listing
	start := 0
	if tok := r.URL.Query().Get("page_token"); tok != "" {
		i, ok := decodePageToken(tok)
		if !ok {
			// MLflow answers 500 here; a bad token is the client's mistake.
			writeError(w, mlflowFormat, answerFor(badRequest("Invalid page token: %q", tok), nil))
			return
		}
		start = min(i, len(all))
	}
	end := min(start+pageSize, len(all))
	var next *string
	if end < len(all) {
		next = deployments.Ptr(encodePageToken(end))
	}
	page := all[start:end]
	if legacy {
		routes := make([]deployments.Route, len(page))
		for i, e := range page {
			routes[i] = legacyRoute(e)
		}
		answerJSON(w, http.StatusOK, deployments.ListRoutesResponse{Routes: routes, NextPageToken: next})
		return
	}
	if page == nil {
		page = []deployments.Endpoint{}
	}
	answerJSON(w, http.StatusOK, deployments.ListEndpointsResponse{Endpoints: page, NextPageToken: next})
}

func legacyRoute(e deployments.Endpoint) deployments.Route {
	return deployments.Route{Name: e.Name, RouteType: e.EndpointType, Model: e.Model, RouteURL: e.EndpointURL, Limit: e.Limit}
}

// encodePageToken writes MLflow's token: base64 of Python's
// json.dumps({"index": i}).
func encodePageToken(i int) string {
	return base64.StdEncoding.EncodeToString([]byte(`{"index": ` + strconv.Itoa(i) + `}`))
}

func decodePageToken(tok string) (int, bool) {
	b, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		if b, err = base64.URLEncoding.DecodeString(tok); err != nil {
			return 0, false
		}
	}
	var t struct {
		Index *int `json:"index"`
	}
	if json.Unmarshal(b, &t) != nil || t.Index == nil || *t.Index < 0 {
		return 0, false
	}
	return *t.Index, true
}

// get answers GET /api/2.0/endpoints/{name}.
func (g *Gateway) get(w http.ResponseWriter, r *http.Request, legacy bool) {
	name := r.PathValue("name")
	for _, e := range g.state.Load().listing {
		if e.Name == name {
			if legacy {
				answerJSON(w, http.StatusOK, legacyRoute(e))
			} else {
				answerJSON(w, http.StatusOK, e)
			}
			return
		}
	}
	what := "endpoint"
	if legacy {
		what = "route"
	}
	msg := "The " + what + " '" + name + "' is not present or active on the server. Please verify the " + what + " name."
	answerJSON(w, http.StatusNotFound, map[string]string{"detail": msg})
}

// setLimits answers POST .../limits/ as MLflow 2.17: the body is checked,
// then 501.
func (g *Gateway) setLimits(w http.ResponseWriter, r *http.Request) {
	body, err := g.readBody(w, r)
	if err != nil {
		writeError(w, mlflowFormat, answerFor(err, nil))
		return
	}
	m, err := object(r.Header.Get("Content-Type"), body)
	if err != nil {
		writeError(w, mlflowFormat, answerFor(err, nil))
		return
	}
	c := checker{m: m}
	if v, ok := c.required("route"); ok {
		c.str([]any{"body", "route"}, v)
	}
	if v, ok := c.required("limits"); ok {
		var l []json.RawMessage
		if json.Unmarshal(v, &l) != nil {
			c.add([]any{"body", "limits"}, "value is not a valid list", "type_error.list", nil)
		}
	}
	if err := c.done(); err != nil {
		writeError(w, mlflowFormat, answerFor(err, nil))
		return
	}
	answerJSON(w, http.StatusNotImplemented, map[string]string{"detail": "The set_limits API is not available yet."})
}

// invocations answers POST /endpoints/{name}/invocations.
func (g *Gateway) invocations(w http.ResponseWriter, r *http.Request) {
	c := &call{g: g, st: g.state.Load(), w: w, r: r, format: mlflowFormat, start: time.Now()}
	defer c.finish()
	ep, ok := c.st.pick(r.PathValue("name"))
	if !ok {
		c.fail(notFound())
		return
	}
	c.ep = ep
	body, err := c.readBody()
	if err != nil {
		c.fail(err)
		return
	}
	ct := r.Header.Get("Content-Type")
	var req any
	switch ep.cfg.EndpointType {
	case deployments.TypeChat:
		req, err = parseChat(ct, body, false)
	case deployments.TypeCompletions:
		req, err = parseCompletions(ct, body)
	default:
		req, err = parseEmbeddings(ct, body)
	}
	if err != nil {
		c.fail(err)
		return
	}
	if namesModel(body) {
		c.fail(&clientError{http.StatusUnprocessableEntity, "The parameter 'model' is not permitted to be passed. The route being queried already defines a model instance."})
		return
	}
	if err := c.admit(); err != nil {
		c.fail(err)
		return
	}
	c.run(req)
}

var typeWords = map[string]string{
	deployments.TypeChat:        "a chat",
	deployments.TypeCompletions: "a completions",
	deployments.TypeEmbeddings:  "an embeddings",
}

// openai answers the OpenAI-compatible routes.
func (g *Gateway) openai(w http.ResponseWriter, r *http.Request, typ string) {
	c := &call{g: g, st: g.state.Load(), w: w, r: r, format: openaiFormat, v1: true, start: time.Now()}
	defer c.finish()
	body, err := c.readBody()
	if err != nil {
		c.fail(err)
		return
	}
	ct := r.Header.Get("Content-Type")
	var req any
	var model string
	switch typ {
	case deployments.TypeChat:
		var q *deployments.ChatRequest
		if q, err = parseChat(ct, body, true); err == nil {
			req, model = q, q.Model
		}
	case deployments.TypeCompletions:
		var q *deployments.CompletionsRequest
		if q, err = parseCompletions(ct, body); err == nil {
			req, model = q, q.Model
		}
	default:
		var q *deployments.EmbeddingsRequest
		if q, err = parseEmbeddings(ct, body); err == nil {
			req, model = q, q.Model
		}
	}
	if err != nil {
		c.fail(err)
		return
	}
	if model == "" {
		c.fail(badRequest("Route None not found in the configuration."))
		return
	}
	t, ok := c.st.typeOf(model)
	if !ok {
		c.fail(badRequest("Route %s not found in the configuration.", model))
		return
	}
	if t != typ {
		c.fail(badRequest("Endpoint '%s' is not %s endpoint.", model, typeWords[typ]))
		return
	}
	c.ep, _ = c.st.pick(model)
	if err := c.admit(); err != nil {
		c.fail(err)
		return
	}
	c.run(req)
}
