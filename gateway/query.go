package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/internal/httpguard"
)

// call is one query as it goes through the gateway.
type call struct {
	g       *Gateway
	st      *state
	w       http.ResponseWriter
	r       *http.Request
	format  format
	v1      bool // an OpenAI-compatible route: [DONE] ends streams, text in completions chunks
	start   time.Time
	timing  timing
	ep      *endpoint // the endpoint asked for (a route's pick)
	ticket  Ticket
	usage   Usage
	sse     *sseWriter
	kind    string // chat, completions, embeddings
	written bool
	trace   *CallTrace     // a sampled call's trace, handed to the Tracer by finish
	text    []byte         // a traced stream's text (choice 0), up to maxTracedText
	class   string         // the failure's class (errors_total's label), "" on success
	hold    httpguard.Hold // what the call holds of the body budget
}

// pick finds an endpoint by name, or picks one of a traffic route's
// destinations by weight.
func (s *state) pick(name string) (*endpoint, bool) {
	if ep, ok := s.byName[name]; ok {
		return ep, true
	}
	r, ok := s.routes[name]
	if !ok {
		return nil, false
	}
	n := rand.IntN(100)
	for i, w := range r.weights {
		if n < w {
			return r.dests[i], true
		}
	}
	return r.dests[len(r.dests)-1], true
}

// typeOf returns the endpoint type of an endpoint or route name.
func (s *state) typeOf(name string) (string, bool) {
	if ep, ok := s.byName[name]; ok {
		return ep.cfg.EndpointType, true
	}
	if r, ok := s.routes[name]; ok {
		return r.cfg.TaskType, true
	}
	return "", false
}

// readBody reads the request body within the gateway's limit.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var none httpguard.Hold
	return g.readBodyWithin(w, r, &none)
}

// readBody reads the query's body within the gateway's limit and its body
// budget: the call holds the bytes of its body's buffer until it finishes,
// taking them as the buffer grows (httpguard.ReadBody), and a body that
// would take the budget past its bound is refused with
// httpguard.ErrBudget.
func (c *call) readBody() ([]byte, error) {
	c.hold = httpguard.NewHold(c.g.bodies)
	return c.g.readBodyWithin(c.w, c.r, &c.hold)
}

func (g *Gateway) readBodyWithin(w http.ResponseWriter, r *http.Request, h *httpguard.Hold) ([]byte, error) {
	b, err := httpguard.ReadBody(w, r, g.opts.maxBody, h)
	if err != nil {
		return nil, bodyError(err)
	}
	return b, nil
}

// bodyError words a failure to read a request body: over the limit (413),
// past the body budget (503), not arrived within --body-timeout (408), or
// cut off (400).
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, httpguard.ErrBudget), errors.Is(err, httpguard.ErrOverBudget):
		return err
	case errors.Is(err, httpguard.ErrBodyTimeout):
		return &clientError{http.StatusRequestTimeout, "The request body did not arrive in time."}
	}
	return &clientError{http.StatusBadRequest, "The request body could not be read."}
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// admit applies the endpoint's call limit and the guard.
func (c *call) admit() error {
	if l := c.ep.limiter; l != nil {
		if ok, wait := l.allow(clientAddr(c.r)); !ok {
			return &limitExceeded{limit: c.ep.cfg.Limit.String(), retryAfter: wait}
		}
	}
	t, err := c.g.opts.guard.Admit(c.r.Context(), c.r, c.ep.cfg.Name)
	if err != nil {
		var d *Denied
		if errors.As(err, &d) {
			return err
		}
		return &guardFailure{err: err}
	}
	c.ticket = t
	return nil
}

// fail answers err (or, once a stream has begun, sends it as an event).
func (c *call) fail(err error) {
	c.usage.Err = err
	if errors.Is(err, context.Canceled) && c.r.Context().Err() != nil {
		c.usage.Status, c.class = StatusClientClosed, "cancelled"
		return // the client went away: nobody to answer
	}
	a := answerFor(err, c.st.secrets)
	c.usage.Status, c.class = a.status, a.class
	if c.ep != nil {
		c.g.metrics.observeError(c.ep.cfg.Name, c.ep.cfg.Provider, a.class)
	}
	if a.status >= 500 {
		c.g.opts.logger.Warn("query failed", "path", c.r.URL.Path, "status", a.status, "error", redact(err, c.st.secrets))
	}
	if c.sse != nil && c.sse.started {
		c.sse.errorEvent(a)
		return
	}
	c.overheadHeader()
	writeError(c.w, c.format, a)
	c.written = true
}

func (c *call) overheadHeader() {
	total := time.Since(c.start)
	over := total - c.timing.upstream - c.timing.waiting
	if c.sse != nil && !c.timing.first.IsZero() {
		over = c.timing.first.Sub(c.start) // a stream: the gateway's work before the upstream call
	}
	over = max(over, 0)
	// Keys in canonical form, set straight into the map: Header.Set
	// would allocate each key's canonical form on every query.
	// The three values share one backing array.
	h := c.w.Header()
	v := []string{strconv.FormatFloat(float64(over.Microseconds())/1000, 'f', 3, 64),
		strconv.FormatInt(total.Milliseconds(), 10), strconv.FormatInt(over.Milliseconds(), 10)}
	h[keyOverheadMs] = v[0:1:1]
	// MLflow 3's timing headers (its gateway_timing_middleware): whole
	// milliseconds, the overhead only once a provider was called.
	h[keyDuration] = v[1:2:2]
	if !c.timing.first.IsZero() {
		h[keyOverheadDuration] = v[2:3:3]
	}
	c.g.metrics.observeOverhead(c.ep, over)
}

// StatusClientClosed is Usage.Status for a query whose client went away
// before its answer (nginx's 499): counted apart from the gateway's own
// failures.
const StatusClientClosed = 499

// MLflow 3's timing headers, sent on every query's answer beside
// x-berth-gateway-overhead-ms: the time from the query's arrival to its
// answer (to the start of a stream), and that time less the provider's,
// both in whole milliseconds. The overhead is left out when no provider
// was called, as MLflow does.
const (
	HeaderDuration         = "x-mlflow-gateway-duration-ms"
	HeaderOverheadDuration = "x-mlflow-gateway-overhead-duration-ms"
)

// The timing headers' keys as http.Header keeps them.
var (
	keyOverheadMs       = http.CanonicalHeaderKey("x-berth-gateway-overhead-ms")
	keyDuration         = http.CanonicalHeaderKey(HeaderDuration)
	keyOverheadDuration = http.CanonicalHeaderKey(HeaderOverheadDuration)
	keyContentType      = http.CanonicalHeaderKey("Content-Type")
	keyContentLength    = http.CanonicalHeaderKey("Content-Length")
)

// finish reports the usage and metrics once the query has ended.
func (c *call) finish() {
	c.hold.Release()
	c.usage.Duration = time.Since(c.start)
	if c.usage.Status == 0 {
		c.usage.Status = http.StatusOK
	}
	switch t := c.ticket.(type) {
	case nil:
		var d *Denied
		if errors.As(c.usage.Err, &d) {
			c.usage.Key = d.Key
		}
	case KeyedTicket:
		c.usage.Key = t.Key()
	}
	if c.ep != nil {
		c.usage.Endpoint = c.ep.cfg.Name
		c.g.metrics.observeQuery(c, c.usage)
		if o := c.g.opts.observer; o != nil {
			o.Observe(c.usage)
		}
	}
	if c.ticket != nil {
		c.ticket.Done(c.usage)
	}
	if c.trace != nil {
		t := c.trace
		t.End = time.Now()
		t.Stream = c.sse != nil
		t.Provider, t.Model = c.usage.Provider, c.usage.Model
		if t.Provider == "" { // none answered: the endpoint asked for
			t.Provider, t.Model = c.ep.cfg.Provider, c.ep.cfg.Model
		}
		t.InputTokens, t.OutputTokens = c.usage.InputTokens, c.usage.OutputTokens
		if c.sse != nil && c.usage.Err == nil { // a stream's answer, as the unary answer's shape
			text := string(c.text)
			if t.EndpointType == deployments.TypeCompletions {
				t.Response = map[string]any{"choices": []any{map[string]any{"index": 0, "text": text}}}
			} else {
				t.Response = map[string]any{"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}}}}
			}
		}
		if c.usage.Err != nil {
			t.Response = nil
			t.Error = redact(c.usage.Err, c.st.secrets).Error()
		}
		c.g.opts.tracer.Trace(*t)
	}
}

// maxTracedText bounds the text of a traced stream kept for its trace.
const maxTracedText = 64 << 10

// traceText keeps a traced stream's content of choice 0.
func (c *call) traceText(index int, content *string) {
	if index == 0 && content != nil && len(c.text) < maxTracedText {
		c.text = append(c.text, (*content)[:min(len(*content), maxTracedText-len(c.text))]...)
	}
}

// ok writes a 200 JSON answer.
func (c *call) ok(v any) {
	if c.trace != nil {
		c.trace.Response = v
	}
	c.overheadHeader()
	c.w.Header()[keyContentType] = []string{"application/json"}
	writeJSON(c.w, http.StatusOK, v)
	c.written = true
}

// writeJSON writes v as an answer of the given status, with its length.
// A client that does not take it is dropped by the servers' write guard
// (httpguard.WriteProgress, around the gateway in berth gateway and berth
// server), not here.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"detail":"Internal Server Error"}`)
	}
	w.Header()[keyContentLength] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (c *call) answered(ep *endpoint, in, out int) {
	c.usage.Provider, c.usage.Model = ep.cfg.Provider, ep.cfg.Model
	c.usage.InputTokens, c.usage.OutputTokens = in, out
}

// run queries the endpoint with a validated request.
func (c *call) run(req any) {
	ctx := c.r.Context()
	if t := c.g.opts.tracer; t != nil && c.ep != nil && t.Sample() {
		c.trace = &CallTrace{Endpoint: c.ep.cfg.Name, EndpointType: c.ep.cfg.EndpointType, Path: c.r.URL.Path, Start: c.start, Request: req}
	}
	switch q := req.(type) {
	case *deployments.ChatRequest:
		q.Model = ""
		if q.IsStream() {
			c.sse = newSSE(c, c.v1)
			ep, err := c.g.call(ctx, c.ep, &c.timing, c.sse.hasStarted, func(ctx context.Context, ep *endpoint) error {
				return ep.prov.ChatStream(ctx, q, func(ch *deployments.ChatChunk) error {
					c.sse.countChat(ch)
					if c.trace != nil {
						for _, ch := range ch.Choices {
							c.traceText(ch.Index, ch.Delta.Content)
						}
					}
					return c.sse.event(ch)
				})
			})
			c.streamEnd(ep, err)
			return
		}
		unary(ctx, c, func(ctx context.Context, ep *endpoint) (*deployments.ChatResponse, error) {
			return ep.prov.Chat(ctx, q)
		},
			func(r *deployments.ChatResponse) (int, int) { return r.Usage.Tokens() })
	case *deployments.CompletionsRequest:
		q.Model = ""
		if q.IsStream() {
			c.sse = newSSE(c, c.v1)
			ep, err := c.g.call(ctx, c.ep, &c.timing, c.sse.hasStarted, func(ctx context.Context, ep *endpoint) error {
				return ep.prov.CompletionsStream(ctx, q, func(ch *deployments.CompletionsChunk) error {
					c.sse.countCompletions(ch)
					if c.trace != nil {
						for _, ch := range ch.Choices {
							c.traceText(ch.Index, ch.Delta.Content)
						}
					}
					if c.v1 {
						for i := range ch.Choices {
							if ch.Choices[i].Text == nil && ch.Choices[i].Delta.Content != nil {
								ch.Choices[i].Text = ch.Choices[i].Delta.Content
							}
						}
					}
					return c.sse.event(ch)
				})
			})
			c.streamEnd(ep, err)
			return
		}
		unary(ctx, c, func(ctx context.Context, ep *endpoint) (*deployments.CompletionsResponse, error) {
			return ep.prov.Completions(ctx, q)
		}, func(r *deployments.CompletionsResponse) (int, int) { return r.Usage.Tokens() })
	case *deployments.EmbeddingsRequest:
		q.Model = ""
		unary(ctx, c, func(ctx context.Context, ep *endpoint) (*deployments.EmbeddingsResponse, error) {
			return ep.prov.Embeddings(ctx, q)
		}, func(r *deployments.EmbeddingsResponse) (int, int) { in, _ := r.Usage.Tokens(); return in, 0 })
	}
}

// unary runs a call that answers once (with fallbacks and retries), counts
// its tokens and writes the answer or the error.
func unary[R any](ctx context.Context, c *call, run func(context.Context, *endpoint) (R, error), tokens func(R) (in, out int)) {
	var resp R
	ep, err := c.g.call(ctx, c.ep, &c.timing, notStarted, func(ctx context.Context, ep *endpoint) (err error) {
		resp, err = run(ctx, ep)
		return err
	})
	if err != nil {
		c.fail(err)
		return
	}
	in, out := tokens(resp)
	c.answered(ep, in, out)
	c.ok(resp)
}

// notStarted says a unary answer has not begun: a failed try may be retried
// or fall back.
func notStarted() bool { return false }

func (c *call) streamEnd(ep *endpoint, err error) {
	c.answered(ep, c.sse.in, c.sse.out)
	if err != nil {
		c.fail(err)
		return
	}
	c.sse.end()
	c.written = true
}
