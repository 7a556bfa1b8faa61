package deployments

import "encoding/json"

// Endpoint types, as MLflow names them.
const (
	TypeCompletions = "llm/v1/completions"
	TypeChat        = "llm/v1/chat"
	TypeEmbeddings  = "llm/v1/embeddings"
)

// Endpoint is one endpoint as GET /api/2.0/endpoints/ lists it.
type Endpoint struct {
	Name         string        `json:"name"`
	EndpointType string        `json:"endpoint_type"`
	Model        EndpointModel `json:"model"`
	EndpointURL  string        `json:"endpoint_url"` // MLflow writes the legacy /gateway/<name>/invocations
	Limit        *Limit        `json:"limit"`
}

// EndpointModel names an endpoint's model and provider. Name is null when
// the config gave none.
type EndpointModel struct {
	Name     *string `json:"name"`
	Provider string  `json:"provider"`
}

// Limit is an endpoint's call limit: Calls per RenewalPeriod (second,
// minute, hour, day, ...). Key is always null in MLflow 2.17.
type Limit struct {
	Calls         int     `json:"calls"`
	Key           *string `json:"key"`
	RenewalPeriod string  `json:"renewal_period"`
}

// ListEndpointsResponse is a page of GET /api/2.0/endpoints/.
// NextPageToken is null on the last page.
type ListEndpointsResponse struct {
	Endpoints     []Endpoint `json:"endpoints"`
	NextPageToken *string    `json:"next_page_token"`
}

// Route is an endpoint in the legacy shape of GET /api/2.0/gateway/routes/.
type Route struct {
	Name      string        `json:"name"`
	RouteType string        `json:"route_type"`
	Model     EndpointModel `json:"model"`
	RouteURL  string        `json:"route_url"`
	Limit     *Limit        `json:"limit"`
}

// ListRoutesResponse is a page of GET /api/2.0/gateway/routes/.
type ListRoutesResponse struct {
	Routes        []Route `json:"routes"`
	NextPageToken *string `json:"next_page_token"`
}

// ErrorResponse is MLflow's (FastAPI's) error body: detail is a string, or
// a list of validation errors.
type ErrorResponse struct {
	Detail json.RawMessage `json:"detail"`
}

// ValidationError is one entry of a 422 detail list (pydantic v1's shape).
type ValidationError struct {
	Loc  []any          `json:"loc"`
	Msg  string         `json:"msg"`
	Type string         `json:"type"`
	Ctx  map[string]any `json:"ctx,omitempty"`
}

// LimitExceeded is the body of a 429 from an endpoint's own call limit
// (slowapi's shape): {"error": "Rate limit exceeded: 2 per 1 minute"}.
type LimitExceeded struct {
	Error string `json:"error"`
}

// OpenAIError is the error body of the OpenAI-compatible /v1/* routes.
type OpenAIError struct {
	Error OpenAIErrorBody `json:"error"`
}

// OpenAIErrorBody is the inside of an OpenAIError.
type OpenAIErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}
