package serve

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/internal/cliflag"
	"github.com/berthml/berth/internal/httpguard"
)

// Request bodies and what they cost. A body is read into a pooled buffer
// that grows with what arrives (httpguard.AppendBody), and a JSON or CSV
// body is then weighed: decoding it into tensors takes about commaCost
// bytes per comma in it. Both are held in the server's body budget
// (WithBodyBudget) until the request ends, so that however many clients
// send large bodies at once the server holds a bounded amount: a request
// that does not fit what is left gets 503 with Retry-After, one that could
// never fit 413.

// DefaultBodyBudget is the body budget of a server not told otherwise:
// room for one body at the default --body-limit (100 MiB) of numbers as
// MLflow writes them, decoded.
const DefaultBodyBudget = 512 << 20

// commaCost is what a JSON or CSV body is counted to hold while it is
// decoded, per comma in it: each comma separates two values (numbers, or
// a row's list; in CSV a line ends one too), and a value decodes into a
// float64 in the decoder's arena or a share of its nodes, with the arena's
// growth. Measured: a 42 MB
// dataframe_split body of 1.9 million iris rows (7.6 million commas)
// allocated 360 MB to decode, 137 MB of it live at the end. Commas are
// counted with bytes.Count (vector instructions: ~11 µs for MLflow's
// 850 kB OCR example, whose decode takes ~500 µs), and only in bodies over
// smallBody; a smaller one is counted at its worst, a value per two
// bytes.
const commaCost = 32

// smallBody is the size under which a body is not scanned for commas.
const smallBody = 64 << 10

var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooled is the largest buffer given back to the pool.
const maxPooled = 1 << 20

// readBody reads the request body up to the server's limit, holding its
// bytes in h. The returned release func gives the buffer back; the body
// must not be used after it.
func (s *Server) readBody(c *gin.Context, h *httpguard.Hold) ([]byte, func(), error) {
	return s.readBodyAt(c, 0, h)
}

// readBodyAt is readBody with the body placed at offset lead of the pooled
// buffer (whose start is 8-aligned), so that a binary section at a known
// offset in it can be aligned for reading in place.
func (s *Server) readBodyAt(c *gin.Context, lead int, h *httpguard.Hold) ([]byte, func(), error) {
	if c.Request.ContentLength > s.opts.bodyLimit {
		return nil, func() {}, s.tooLarge(&http.MaxBytesError{Limit: s.opts.bodyLimit})
	}
	bp := bufPool.Get().(*[]byte)
	var zeros [8]byte
	b, err := httpguard.AppendBody(append((*bp)[:0], zeros[:lead]...), c.Writer, c.Request, s.opts.bodyLimit, h)
	if err != nil {
		bufPool.Put(bp)
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return nil, func() {}, s.tooLarge(err)
		case errors.Is(err, httpguard.ErrOverBudget):
			return nil, func() {}, &BodyCostError{Cost: c.Request.ContentLength, Budget: s.bodies.Size()}
		case errors.Is(err, httpguard.ErrBudget):
			return nil, func() {}, errBodyBudget
		case errors.Is(err, httpguard.ErrBodyTimeout):
			return nil, func() {}, fmt.Errorf("reading the request body (berth serve --body-timeout): %w", err)
		}
		return nil, func() {}, &scoring.Error{Code: scoring.CodeBadRequest, Message: "reading the request body: " + err.Error()}
	}
	*bp = b[:0]
	release := func() {
		if cap(*bp) <= maxPooled {
			bufPool.Put(bp)
		}
	}
	return b[lead:], release, nil
}

// weigh takes from h what decoding body (JSON, or CSV when csv) will hold.
// In CSV a line ends a value too.
func (s *Server) weigh(h *httpguard.Hold, body []byte, csv bool) error {
	commas := len(body) / 2
	if len(body) > smallBody {
		commas = bytes.Count(body, comma)
		if csv {
			commas += bytes.Count(body, newline)
		}
	}
	k := int64(commas) * commaCost
	switch err := h.Charge(k); {
	case errors.Is(err, httpguard.ErrOverBudget):
		return &BodyCostError{Values: commas + 1, Cost: k + int64(len(body)), Budget: s.bodies.Size()}
	case err != nil:
		return errBodyBudget
	}
	return nil
}

var comma, newline = []byte{','}, []byte{'\n'}

// BodyCostError is a body that could never fit the server's body budget,
// even alone: 413.
type BodyCostError struct {
	Values       int   // values in the body (commas + 1); 0: the body itself is over the budget
	Cost, Budget int64 // what decoding it would hold, and the budget
}

func (e *BodyCostError) Error() string {
	if e.Values == 0 { // the body alone is over the budget
		return fmt.Sprintf("the request body is larger than the server's body budget of %s (berth serve --body-budget); send fewer rows per request",
			cliflag.FormatSize(e.Budget))
	}
	return fmt.Sprintf("the request body holds %d values, which would take about %s of memory to decode: more than the server's body budget of %s (berth serve --body-budget); send fewer rows per request",
		e.Values, cliflag.RoundSize(e.Cost), cliflag.FormatSize(e.Budget))
}

// errBodyBudget answers a request whose body does not fit what is left of
// the body budget: 503 with Retry-After.
var errBodyBudget = fmt.Errorf("%w (berth serve --body-budget); try again shortly", httpguard.ErrBudget)

// jsonPart is the JSON of an OIP v2 body: the first headerLen bytes when
// the Inference-Header-Content-Length header gives them (what follows is
// binary tensor data, read in place), else all of it.
func jsonPart(body []byte, headerLen string) []byte {
	if n, err := strconv.Atoi(headerLen); err == nil && n >= 0 && n <= len(body) {
		return body[:n]
	}
	return body
}
