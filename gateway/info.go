package gateway

import (
	"context"
	"net/http"
	"slices"
	"time"
)

// InfoPath is where berth server answers the web UI's gateway page
// (GET InfoPath+"/endpoints", InfoPath+"/keys"), behind the server's read
// access.
const InfoPath = "/ajax-api/2.0/berth/gateway"

// EndpointInfo is what the web UI shows of an endpoint: its config less
// anything secret (the provider's settings are left out whole).
type EndpointInfo struct {
	Name           string   `json:"name"`
	EndpointType   string   `json:"endpoint_type"`
	Provider       string   `json:"provider"`
	Model          string   `json:"model,omitempty"`
	Limit          string   `json:"limit,omitempty"` // e.g. "10 per minute"
	TimeoutSeconds float64  `json:"timeout_seconds"` // the call's deadline, retries included
	MaxRetries     int      `json:"max_retries"`
	Fallbacks      []string `json:"fallbacks,omitempty"`
}

// RouteInfo is an MLflow 3 traffic route as the web UI shows it.
type RouteInfo struct {
	Name         string            `json:"name"`
	TaskType     string            `json:"task_type"`
	Destinations []DestinationInfo `json:"destinations"`
}

// DestinationInfo is one endpoint of a route and its share.
type DestinationInfo struct {
	Endpoint          string `json:"endpoint"`
	TrafficPercentage int    `json:"traffic_percentage"`
}

// Info is the gateway's endpoints and routes, now.
type Info struct {
	Configured bool           `json:"configured"` // false: berth server without --gateway-config
	Endpoints  []EndpointInfo `json:"endpoints"`
	Routes     []RouteInfo    `json:"routes"`
}

// Info returns the endpoints and routes of the config in use, without
// secrets.
func (g *Gateway) Info() Info {
	s := g.state.Load()
	out := Info{Configured: g.configured, Endpoints: []EndpointInfo{}, Routes: []RouteInfo{}}
	for _, ep := range s.endpoints {
		c := ep.cfg
		timeout := c.Timeout
		if timeout <= 0 {
			timeout = g.opts.defaultTimeout
		}
		e := EndpointInfo{Name: c.Name, EndpointType: c.EndpointType, Provider: c.Provider, Model: c.Model,
			TimeoutSeconds: timeout.Seconds(), MaxRetries: c.MaxRetries, Fallbacks: c.Fallbacks}
		if c.Limit != nil {
			e.Limit = c.Limit.String()
		}
		out.Endpoints = append(out.Endpoints, e)
	}
	names := make([]string, 0, len(s.routes))
	for name := range s.routes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		r := s.routes[name]
		ri := RouteInfo{Name: r.cfg.Name, TaskType: r.cfg.TaskType, Destinations: []DestinationInfo{}}
		for _, d := range r.cfg.Destinations {
			ri.Destinations = append(ri.Destinations, DestinationInfo{d.Endpoint, d.TrafficPercentage})
		}
		out.Routes = append(out.Routes, ri)
	}
	return out
}

// KeyInfo is a gateway key as the web UI shows it: never its secret (Hint
// is the last four characters, as berth gateway keys list shows).
type KeyInfo struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	Hint              string    `json:"hint"`
	Endpoints         []string  `json:"endpoints"` // empty: every endpoint
	RequestsPerMinute int64     `json:"requests_per_minute,omitempty"`
	TokensPerMinute   int64     `json:"tokens_per_minute,omitempty"`
	DayTokens         int64     `json:"day_tokens,omitempty"`
	MonthTokens       int64     `json:"month_tokens,omitempty"`
	DaySpendUSD       float64   `json:"day_spend_usd,omitempty"`
	MonthSpendUSD     float64   `json:"month_spend_usd,omitempty"`
	ExpiresAt         time.Time `json:"expires_at,omitzero"`
	CreatedAt         time.Time `json:"created_at,omitzero"`
	RevokedAt         time.Time `json:"revoked_at,omitzero"`
	// Used today and this month (UTC), every replica's, as last
	// reconciled through the key database.
	Today     KeyUse `json:"today"`
	ThisMonth KeyUse `json:"this_month"`
}

// KeyUse is what a key used in a period.
type KeyUse struct {
	Requests int64   `json:"requests"`
	Tokens   int64   `json:"tokens"`
	CostUSD  float64 `json:"cost_usd"`
}

// KeyLister lists the gateway keys for the web UI (cmd/berth's adapter
// over package keys' Store).
type KeyLister interface {
	ListKeys(ctx context.Context) ([]KeyInfo, error)
}

// InfoHandler answers the web UI's gateway page under InfoPath:
// GET …/endpoints (Info) and GET …/keys ({"required": bool, "keys": […]};
// keys may be nil: keys are not required, and none are listed). Errors
// are MLflow's JSON; the caller guards access (berth server: read).
func (g *Gateway) InfoHandler(keys KeyLister) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+InfoPath+"/endpoints", func(w http.ResponseWriter, _ *http.Request) {
		answerJSON(w, http.StatusOK, g.Info())
	})
	mux.HandleFunc("GET "+InfoPath+"/keys", func(w http.ResponseWriter, r *http.Request) {
		out := struct {
			Required bool      `json:"required"`
			Keys     []KeyInfo `json:"keys"`
		}{Keys: []KeyInfo{}}
		if keys != nil {
			list, err := keys.ListKeys(r.Context())
			if err != nil {
				g.opts.logger.Warn("listing gateway keys", "error", err)
				answerJSON(w, http.StatusServiceUnavailable, map[string]string{"error_code": "TEMPORARILY_UNAVAILABLE",
					"message": "The gateway key database could not be read."})
				return
			}
			out.Required, out.Keys = true, append(out.Keys, list...)
		}
		answerJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc(InfoPath+"/", func(w http.ResponseWriter, r *http.Request) {
		answerJSON(w, http.StatusNotFound, map[string]string{"error_code": "ENDPOINT_NOT_FOUND",
			"message": "No API endpoint for " + r.Method + " " + r.URL.Path})
	})
	return mux
}
