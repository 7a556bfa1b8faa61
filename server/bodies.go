package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/internal/cliflag"
	"github.com/berthml/berth/internal/httpguard"
	"github.com/berthml/berth/internal/jsonscan"
	"github.com/berthml/berth/tracing/otlp"
)

// Request bodies and what they cost. A JSON body is read whole
// (httpguard.ReadBody: the buffer grows with what arrives) and then
// decoded, and the request holds both, the body's bytes and an estimate of
// what decoding it makes, in the server's body budget (WithBodyBudget)
// until its handler returns. A request that does not fit the budget now is
// 503 with Retry-After, which MLflow's client retries; one that could never
// fit (a 60 MB body of "{}," decodes into 20 million structs) is 413.

// DefaultBodyBudget is the body budget of a server not told otherwise.
const DefaultBodyBudget = 256 << 20

// valueCost is what one JSON value of a body is counted to hold once
// decoded: a struct of MLflow's entities with its strings' headers, or a
// slice element, with the slice's growth. Measured before the budget: a
// 60 MB runs/log-batch body of "{}" metrics (42 million values by
// jsonscan.Values) peaked at 6.6 GB, ~160 bytes per value, and a 16 MB one
// allocated 303 bytes per value in all.
const valueCost = 256

// holdKey is the gin context key of the request's *httpguard.Hold.
const holdKey = "berth.bodyHold"

// holdOf returns the request's hold on the body budget, made at the first
// read.
func (s *Server) holdOf(c *gin.Context) *httpguard.Hold {
	if v, ok := c.Get(holdKey); ok {
		return v.(*httpguard.Hold)
	}
	h := httpguard.NewHold(s.bodies)
	c.Set(holdKey, &h)
	return &h
}

// releaseBodies gives back what the request held of the body budget, once
// its handler has returned (a middleware over every route).
func (s *Server) releaseBodies(c *gin.Context) {
	defer func() {
		if v, ok := c.Get(holdKey); ok {
			v.(*httpguard.Hold).Release()
		}
	}()
	c.Next()
}

// readBody reads the request's body whole, within --body-limit and the body
// budget.
func (s *Server) readBody(c *gin.Context) ([]byte, error) {
	b, err := httpguard.ReadBody(c.Writer, c.Request, s.opts.bodyLimit, s.holdOf(c))
	if err != nil {
		return nil, s.bodyError(err)
	}
	return b, nil
}

// readJSON is readBody for a JSON body about to be decoded: it also takes
// from the budget what decoding it will hold (see weigh).
func (s *Server) readJSON(c *gin.Context) ([]byte, error) {
	b, err := s.readBody(c)
	if err != nil {
		return nil, err
	}
	return b, s.weigh(c, b, jsonscan.Values(b))
}

// readOTLP is readJSON for an OTLP export request, protobuf or JSON.
func (s *Server) readOTLP(c *gin.Context, contentType string) ([]byte, error) {
	b, err := s.readBody(c)
	if err != nil {
		return nil, err
	}
	return b, s.weigh(c, b, otlp.Values(b, contentType))
}

// weigh takes from the request's hold what decoding body, of that many
// values, will hold: valueCost per value, and the body's bytes again for
// the strings encoding/json copies out of it.
func (s *Server) weigh(c *gin.Context, b []byte, values int) error {
	k := int64(values)*valueCost + int64(len(b))
	err := s.holdOf(c).Charge(k)
	if errors.Is(err, httpguard.ErrOverBudget) {
		return &limitError{fmt.Sprintf(
			"The request body holds %d JSON values, which would take about %s of memory to decode: more than the server's body budget of %s (berth server --body-budget).",
			values, cliflag.RoundSize(k+int64(cap(b))), cliflag.FormatSize(s.bodies.Size()))}
	}
	return err
}

// bodyError words a failure to read a request body: over --body-limit or
// the whole body budget (413), past what is left of the budget (503), not
// arrived in time (408), or cut off (400).
func (s *Server) bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return &limitError{fmt.Sprintf(
			"The request body is larger than the server's limit of %s (berth server --body-limit).", cliflag.FormatSize(tooLarge.Limit))}
	case errors.Is(err, httpguard.ErrOverBudget):
		return &limitError{fmt.Sprintf("The request body is larger than the server's body budget of %s (berth server --body-budget).",
			cliflag.FormatSize(s.bodies.Size()))}
	case errors.Is(err, httpguard.ErrBudget), errors.Is(err, httpguard.ErrBodyTimeout):
		return err
	}
	return &requestError{mlflowrest.CodeBadRequest, "The request body could not be read: " + err.Error()}
}

// limitError is a request over one of the server's limits: 413
// REQUEST_LIMIT_EXCEEDED.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
