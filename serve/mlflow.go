package serve

import (
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/internal/buildinfo"
	"github.com/berthml/berth/internal/httpguard"
)

// health answers MLflow's /ping and /health: 200 with "\n" once every model
// is loaded and warmed up, as MLflow's scoring server does, else 503.
func (s *Server) health(c *gin.Context) {
	if !s.Ready() {
		s.writeError(c, protoMLflow, ErrNotReady)
		return
	}
	c.Data(http.StatusOK, "application/json", []byte("\n"))
}

// version answers MLflow's /version with berth's version. MLflow writes its
// bare version string with a JSON content type; berth does the same so that
// clients that read it keep working.
func (s *Server) version(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", []byte(buildinfo.Version))
}

// invocations scores a request in MLflow's protocol.
func (s *Server) invocations(c *gin.Context, start time.Time) (*Model, error) {
	m, err := s.model(c.Param("model"), "")
	if err != nil {
		return nil, err
	}
	defer m.release()
	defer s.track(m)()
	format, err := scoring.ParseContentType(c.GetHeader("Content-Type"))
	if err != nil {
		return m, err
	}
	hold := httpguard.NewHold(s.bodies)
	defer hold.Release()
	body, release, err := s.readBody(c, &hold)
	if err != nil {
		return m, err
	}
	if err := s.weigh(&hold, body, format == scoring.FormatCSV); err != nil {
		release()
		return m, err
	}
	req, err := m.decoder.Decode(format, body)
	release()
	if err != nil {
		return m, err
	}
	if err := s.checkResponseBound(m, req.Inputs, m.decoder.OutputNames()); err != nil {
		return m, err
	}
	outs, err := s.predict(c.Request.Context(), start, m, req.Inputs, m.decoder.OutputNames())
	if err != nil {
		return m, err
	}
	if err := s.checkOutputsBound(outs); err != nil {
		return m, err
	}
	// A large response is streamed in chunks when it surely fits the limit
	// (it then costs about a chunk of memory, not its size); others are
	// encoded whole: a small one is sent with its Content-Length, and one
	// that may not fit stops at the limit and answers it.
	limit := s.responseLimit()
	if bound := m.decoder.SizeBound(outs, req); bound > streamAbove && (limit == 0 || bound <= int64(limit)) {
		c.Writer.Header()["Content-Type"] = jsonContentType
		w := &startedWriter{w: c.Writer}
		if err := m.decoder.EncodeTo(w, outs, req); err != nil {
			if !w.started {
				return m, s.encodingError(err)
			}
			// The status line is out: the client sees a cut response.
			s.opts.logger.Warn("writing a scoring response", "model", m.Name, "err", err)
		}
		m.observeDrift(req.Inputs, outs)
		s.logRequest(c.GetHeader("X-Request-ID"), m, req.Inputs, outs)
		return m, nil
	}
	out, err := m.decoder.EncodeLimit(outs, req, s.responseLimit())
	if err != nil {
		return m, s.encodingError(err)
	}
	m.observeDrift(req.Inputs, outs)
	s.logRequest(c.GetHeader("X-Request-ID"), m, req.Inputs, outs)
	writeOK(c, jsonContentType, out)
	return m, nil
}

// streamAbove is the response size bound above which /invocations
// streams: below it, the whole response is small.
const streamAbove = 256 << 10

// startedWriter records whether a response has begun.
type startedWriter struct {
	w       io.Writer
	started bool
}

func (s *startedWriter) Write(p []byte) (int, error) {
	s.started = true
	return s.w.Write(p)
}
