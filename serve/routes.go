package serve

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/cliflag"
	"github.com/berthml/berth/internal/httpguard"
)

// The protocol label of the request metrics.
const (
	protoMLflow = "mlflow"
	protoV2     = "v2"
	protoV1     = "v1"
)

func init() { gin.SetMode(gin.ReleaseMode) }

func (s *Server) routes() *gin.Engine {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	r.Use(gin.CustomRecoveryWithWriter(io.Discard, s.recovered))
	if s.opts.accessLog != nil {
		r.Use(s.logRequests)
	}

	// MLflow scoring protocol. The open routes answer HEAD too, as
	// MLflow's Flask routes do (load balancers' health checks send it):
	// net/http sends the headers and drops the body.
	open := func(path string, h gin.HandlerFunc) {
		r.GET(path, h)
		r.HEAD(path, h)
	}
	open("/ping", s.health)
	open("/health", s.health)
	open("/version", s.version)
	auth := r.Group("/", s.authorize)
	auth.POST("/invocations", s.handle(protoMLflow, s.invocations))
	auth.POST("/models/:model/invocations", s.handle(protoMLflow, s.invocations))

	// Open Inference Protocol v2.
	open("/v2", s.serverMetadata)
	open("/v2/health/live", s.live)
	open("/v2/health/ready", s.readyV2)
	v2 := r.Group("/v2/models/:model", s.authorize)
	v2.GET("", s.modelMetadata)
	v2.GET("/ready", s.modelReady)
	v2.POST("/infer", s.handle(protoV2, s.infer))
	v2.GET("/versions/:version", s.modelMetadata)
	v2.GET("/versions/:version/ready", s.modelReady)
	v2.POST("/versions/:version/infer", s.handle(protoV2, s.infer))
	v2.GET("/drift", s.driftStatus)
	v2.GET("/versions/:version/drift", s.driftStatus)
	auth.GET("/drift", s.driftIndex)
	auth.GET("/drift/:model", s.driftPage)

	// KServe V1: /v1/models/{m} and /v1/models/{m}:predict.
	v1 := r.Group("/v1/models", s.authorize)
	v1.GET("/:model", s.modelStatusV1)
	v1.POST("/:model", s.handle(protoV1, s.predictV1))

	r.GET("/metrics", gin.WrapH(s.metricsHandler()))

	r.NoRoute(func(c *gin.Context) {
		s.writeError(c, protocolOf(c.Request.URL.Path), &routeError{http.StatusNotFound,
			"no route for " + c.Request.Method + " " + c.Request.URL.Path})
	})
	r.NoMethod(func(c *gin.Context) {
		s.writeError(c, protocolOf(c.Request.URL.Path), &routeError{http.StatusMethodNotAllowed,
			"method " + c.Request.Method + " is not allowed on " + c.Request.URL.Path})
	})
	return r
}

// protocolOf tells which error JSON a path's clients expect.
func protocolOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/v2"):
		return protoV2
	case strings.HasPrefix(path, "/v1"):
		return protoV1
	}
	return protoMLflow
}

// handle wraps a scoring handler: it writes the handler's error in the
// protocol's format and records the request's metrics.
//
// The handler gets the request's start, from which predict counts
// --timeout: the deadline's context is made only around the run, and the
// request is not copied to carry it (Request.WithContext).
func (s *Server) handle(proto string, h func(c *gin.Context, start time.Time) (*Model, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		m, err := h(c, start)
		if err != nil {
			s.writeError(c, proto, err)
		}
		if m == nil {
			s.metrics.requests.WithLabelValues("", "", proto, strconv.Itoa(c.Writer.Status())).Inc()
			s.metrics.requestTime.WithLabelValues("", "", proto).Observe(time.Since(start).Seconds())
			return
		}
		if s.opts.accessLog != nil { // only logRequests reads it: a map per request otherwise
			c.Set("model", m.Name)
		}
		o := m.obs.protocol[proto]
		code := c.Writer.Status()
		if code == http.StatusOK {
			o.ok.Inc()
		} else {
			s.metrics.requests.WithLabelValues(m.Name, m.Version, proto, strconv.Itoa(code)).Inc()
		}
		seconds := time.Since(start).Seconds()
		o.duration.Observe(seconds)
		m.obs.usage.Observe(code, seconds)
	}
}

// track counts a request in flight for m until the returned func runs.
func (s *Server) track(m *Model) func() {
	m.obs.inFlight.Inc()
	return m.obs.inFlight.Dec
}

// predict runs m within the request's deadline: --timeout after the
// request's start. Predictors stop when their ctx is done (ONNX Runtime
// through its terminate flag), so a run past the deadline ends at the
// deadline and the client gets 504. A predictor that takes the deadline
// apart (flavors.DeadlinePredictor, as the ONNX flavor does) gets it so
// when nothing else waits on it: no context is derived for the request.
func (s *Server) predict(ctx context.Context, reqStart time.Time, m *Model, inputs []*flavors.Tensor, outputs []string) ([]*flavors.Tensor, error) {
	var deadline time.Time
	if s.opts.timeout > 0 {
		deadline = reqStart.Add(s.opts.timeout)
	}
	p := m.Predictor()
	dp, direct := p.(flavors.DeadlinePredictor)
	direct = direct && m.batcher == nil && m.runs == nil
	if !deadline.IsZero() && !direct {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	start := time.Now()
	var outs []*flavors.Tensor
	var err error
	switch {
	case m.batcher != nil:
		outs, err = m.batcher.predict(ctx, inputs, outputs)
	case m.runs != nil:
		select {
		case m.runs <- struct{}{}:
			outs, err = p.Predict(ctx, inputs, outputs)
			<-m.runs
		case <-ctx.Done():
			err = ctx.Err()
		}
	case direct:
		outs, err = dp.PredictBefore(ctx, deadline, inputs, outputs)
	default:
		outs, err = p.Predict(ctx, inputs, outputs)
	}
	m.obs.inference.Observe(time.Since(start).Seconds())
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("%w: %w", ErrTimeout, cerr)
		}
		if direct && !deadline.IsZero() && (errors.Is(err, context.DeadlineExceeded) || !time.Now().Before(deadline)) {
			return nil, fmt.Errorf("%w: %w", ErrTimeout, context.DeadlineExceeded)
		}
	}
	return outs, err
}

// The Content-Type values of scoring responses, one shared slice each:
// gin's c.Data makes a new one, and boxes its renderer, per response.
var (
	jsonContentType   = []string{"application/json"}
	binaryContentType = []string{oip.ContentTypeBinary}
)

// writeOK answers 200 with body, with its Content-Length as gin's c.Data
// does. contentType is one of the shared values above; nothing appends to
// a header value in place.
func writeOK(c *gin.Context, contentType []string, body []byte) {
	h := c.Writer.Header()
	h["Content-Type"] = contentType
	if len(body) >= autoContentLength {
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	c.Writer.WriteHeader(http.StatusOK)
	c.Writer.Write(body)
}

// autoContentLength is the size under which net/http sends a response's
// Content-Length by itself (its buffer before chunking, 2048 bytes): a
// smaller body costs no header value of its own.
const autoContentLength = 2048

// tooLarge says what the limit is and how to raise it.
func (s *Server) tooLarge(err error) error {
	return fmt.Errorf("the request body is larger than the server's limit of %s (berth serve --body-limit): %w",
		cliflag.FormatSize(s.opts.bodyLimit), err)
}

// authorize checks the bearer token when the server has one.
func (s *Server) authorize(c *gin.Context) {
	if s.opts.token == "" {
		return
	}
	got, ok := httpguard.Bearer(c.Request)
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.token)) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="berth"`)
		s.writeError(c, protocolOf(c.Request.URL.Path), ErrUnauthorized)
		c.Abort()
	}
}

// recovered answers 500 for a handler that panicked, and keeps serving.
func (s *Server) recovered(c *gin.Context, err any) {
	s.opts.logger.Error("handler panicked", "path", c.Request.URL.Path, "panic", err)
	s.writeError(c, protocolOf(c.Request.URL.Path), errors.New("internal error"))
	c.Abort()
}

// logRequests writes one access-log line per request.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	model, _ := c.Get("model")
	s.opts.accessLog.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", c.Writer.Status()),
		slog.Int("bytes", c.Writer.Size()),
		slog.Duration("duration", time.Since(start)),
		slog.String("remote", c.ClientIP()),
		slog.Any("model", model),
	)
}

// writeError writes err in the protocol's error format, with the status
// httpStatus gives it.
func (s *Server) writeError(c *gin.Context, proto string, err error) {
	status, code := httpStatus(err)
	msg := err.Error()
	var scoreErr *scoring.Error
	if errors.As(err, &scoreErr) {
		msg = scoreErr.Message // Error() repeats the code that error_code carries
	}
	if status >= 500 && status != http.StatusServiceUnavailable && status != http.StatusGatewayTimeout {
		s.opts.logger.Error("request failed", "path", c.Request.URL.Path, "error", err)
	}
	if errors.Is(err, ErrOverloaded) || errors.Is(err, httpguard.ErrBudget) {
		c.Header("Retry-After", "1")
	}
	var mediaErr *scoring.MediaTypeError
	switch {
	case proto == protoMLflow && errors.As(err, &mediaErr):
		c.Data(status, "text/plain; charset=utf-8", []byte(msg))
	case proto == protoMLflow:
		c.JSON(status, scoring.ErrorResponse{ErrorCode: code, Message: msg})
	default:
		c.JSON(status, gin.H{"error": msg})
	}
}
