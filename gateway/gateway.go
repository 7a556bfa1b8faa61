package gateway

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/h1"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/internal/httpguard"
)

// Gateway serves MLflow's Deployments API and the OpenAI-compatible routes
// over the endpoints of a config. Its config can be swapped while it
// serves (Reload, Watch); a query in flight finishes on the config it
// started with.
type Gateway struct {
	state   atomic.Pointer[state]
	opts    options
	client  *http.Client
	metrics *Metrics
	bodies  *httpguard.Budget // the body budget; nil: none
	// configured is false for a gateway built without a config (berth
	// server without --gateway-config): its proxy answers as MLflow's
	// tracking server without a deployments target.
	configured bool
}

type options struct {
	guard          Guard
	logger         *slog.Logger
	maxBody        int64
	bodyBudget     int64
	defaultTimeout time.Duration
	transport      http.RoundTripper
	now            func() time.Time
	metrics        *Metrics
	breaker        BreakerSettings
	backoff        time.Duration
	tracer         Tracer // nil: no call traced
	observer       UsageObserver
}

// Option configures New.
type Option func(*options)

// WithGuard sets the Guard that admits queries (gateway keys, limits,
// budgets). Default: none, every query is admitted.
func WithGuard(g Guard) Option { return func(o *options) { o.guard = g } }

// WithLogger sets the logger. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithMaxBody bounds a request body. Default: 8 MiB; a larger body gets 413.
func WithMaxBody(n int64) Option { return func(o *options) { o.maxBody = n } }

// WithBodyBudget bounds the bytes of the request bodies the gateway holds
// at once, from their reading to the end of their calls (a call holds a
// few times its body's size while it runs). A query whose body does not
// fit gets 503 with Retry-After, instead of the gateway's memory growing
// with the number of large queries. Default: 256 MiB (32 bodies of the
// default 8 MiB limit); n <= 0 sets no bound.
func WithBodyBudget(n int64) Option { return func(o *options) { o.bodyBudget = n } }

// WithDefaultTimeout sets the deadline of an endpoint's call (retries
// included) when its config gives no timeout. Default: 60 seconds.
func WithDefaultTimeout(d time.Duration) Option { return func(o *options) { o.defaultTimeout = d } }

// WithTransport sets the transport for upstream calls. Default:
// DefaultTransport().
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithClock sets the clock. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithMetrics sets where the gateway's metrics go. Default: none kept.
func WithMetrics(m *Metrics) Option { return func(o *options) { o.metrics = m } }

// WithBreaker sets the circuit breaker applied per endpoint's provider.
// Default: DefaultBreaker.
func WithBreaker(b BreakerSettings) Option { return func(o *options) { o.breaker = b } }

// WithRetryBackoff sets the first retry's wait (doubled on each retry,
// with jitter; a Retry-After from the upstream wins when longer). Default:
// 200 ms.
func WithRetryBackoff(d time.Duration) Option { return func(o *options) { o.backoff = d } }

// UsageObserver is told of every query to an endpoint once it has ended
// (usage reports, package gateway/usage). Observe runs on the query's own
// goroutine after its answer: it must not block.
type UsageObserver interface {
	Observe(u Usage)
}

// WithUsageObserver sets the observer of ended queries. Default: none.
func WithUsageObserver(o UsageObserver) Option { return func(o2 *options) { o2.observer = o } }

// DefaultTransport is the upstream transport New uses unless told:
// plain-http upstreams through package h1 (the call's own goroutine does
// the I/O on a pooled connection: no per-connection reader and writer
// goroutines), up to 256 idle connections per host kept 4 s; https
// (TLS, HTTP/2 where the upstream offers it) and hosts behind a proxy
// from the environment through net/http's Transport with up to 256 idle
// connections per host, 10 s dial and TLS timeouts.
func DefaultTransport() *h1.Transport {
	return h1.New(h1.WithFallback(netTransport()), h1.WithDialTimeout(10*time.Second), h1.WithMaxIdlePerHost(256))
}

// netTransport is net/http's Transport for what h1 does not serve.
func netTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// New builds a gateway over cfg (which may be nil: no endpoints).
func New(cfg *config.Config, opts ...Option) (*Gateway, error) {
	o := options{
		guard: noGuard{}, logger: slog.New(slog.DiscardHandler), maxBody: 8 << 20, bodyBudget: 256 << 20,
		defaultTimeout: 60 * time.Second, now: time.Now, breaker: DefaultBreaker, backoff: 200 * time.Millisecond,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.transport == nil {
		o.transport = DefaultTransport()
	}
	g := &Gateway{opts: o, client: &http.Client{Transport: o.transport}, metrics: o.metrics}
	if o.bodyBudget > 0 {
		g.bodies = httpguard.NewBudget(o.bodyBudget)
	}
	g.configured = cfg != nil
	if cfg == nil {
		cfg = &config.Config{}
	}
	if err := g.Reload(cfg); err != nil {
		return nil, err
	}
	return g, nil
}

// Reload swaps in a new config. On an error the old config stays.
// Endpoints whose name, provider config and limit are unchanged keep their
// call counters and circuit breakers.
func (g *Gateway) Reload(cfg *config.Config) error {
	s, err := g.build(cfg, g.state.Load())
	if err != nil {
		return err
	}
	g.state.Store(s)
	return nil
}

// state is one config, built.
type state struct {
	endpoints []*endpoint
	byName    map[string]*endpoint
	routes    map[string]*route
	listing   []deployments.Endpoint
	secrets   []string
}

// endpoint is a configured endpoint with its provider.
type endpoint struct {
	cfg      config.Endpoint
	prov     provider.Provider
	limiter  *limiter // nil: no limit
	breaker  *breaker
	fallback []*endpoint
	metrics  endpointMetrics // its metric children, once used
}

// route is an MLflow 3 traffic route.
type route struct {
	cfg     config.Route
	dests   []*endpoint
	weights []int // cumulative percentages
}

func (g *Gateway) build(cfg *config.Config, old *state) (*state, error) {
	s := &state{byName: make(map[string]*endpoint, len(cfg.Endpoints)), routes: map[string]*route{}}
	for _, c := range cfg.Endpoints {
		spec, ok := provider.Lookup(c.Provider)
		if !ok {
			return nil, fmt.Errorf("endpoint %s: the provider '%s' is not supported", c.Name, c.Provider)
		}
		p, err := spec.New(provider.Config{Provider: c.Provider, Model: c.Model, EndpointType: c.EndpointType,
			Settings: c.Settings, HTTPClient: g.client, Logger: g.opts.logger.With("endpoint", c.Name), Now: g.opts.now})
		if err != nil {
			return nil, fmt.Errorf("endpoint %s (provider %s): %w", c.Name, c.Provider, redact(err, c.Secrets))
		}
		ep := &endpoint{cfg: c, prov: p}
		var prev *endpoint
		if old != nil {
			prev = old.byName[c.Name]
		}
		if c.Limit != nil {
			if prev != nil && prev.limiter != nil && *prev.cfg.Limit == *c.Limit {
				ep.limiter = prev.limiter
			} else {
				ep.limiter = newLimiter(c.Limit.Calls, c.Limit.Period, g.opts.now)
			}
		}
		if prev != nil && sameUpstream(prev.cfg, c) {
			ep.breaker = prev.breaker
		} else {
			ep.breaker = newBreaker(g.opts.breaker, g.opts.now)
		}
		s.endpoints = append(s.endpoints, ep)
		s.byName[c.Name] = ep
		s.secrets = append(s.secrets, c.Secrets...)
		var name *string
		if c.HasModel {
			name = deployments.Ptr(c.Model)
		}
		var lim *deployments.Limit
		if c.Limit != nil {
			lim = &deployments.Limit{Calls: c.Limit.Calls, RenewalPeriod: c.Limit.RenewalPeriod}
		}
		s.listing = append(s.listing, deployments.Endpoint{Name: c.Name, EndpointType: c.EndpointType,
			Model: deployments.EndpointModel{Name: name, Provider: c.Provider}, EndpointURL: "/gateway/" + c.Name + "/invocations", Limit: lim})
	}
	for _, ep := range s.endpoints {
		for _, f := range ep.cfg.Fallbacks {
			ep.fallback = append(ep.fallback, s.byName[f])
		}
	}
	for _, rc := range cfg.Routes {
		r := &route{cfg: rc}
		total := 0
		for _, d := range rc.Destinations {
			total += d.TrafficPercentage
			r.dests = append(r.dests, s.byName[d.Endpoint])
			r.weights = append(r.weights, total)
		}
		s.routes[rc.Name] = r
	}
	return s, nil
}

func sameUpstream(a, b config.Endpoint) bool {
	if a.Provider != b.Provider || a.Model != b.Model || len(a.Settings) != len(b.Settings) {
		return false
	}
	for k, v := range a.Settings {
		if fmt.Sprint(b.Settings[k]) != fmt.Sprint(v) {
			return false
		}
	}
	return true
}

// Endpoints returns the endpoints as GET /api/2.0/endpoints/ lists them.
func (g *Gateway) Endpoints() []deployments.Endpoint {
	return g.state.Load().listing
}
