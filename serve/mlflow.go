package serve

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/internal/buildinfo"
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
func (s *Server) invocations(c *gin.Context) (*Model, error) {
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
	body, release, err := s.readBody(c)
	if err != nil {
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
	outs, err := s.predict(c.Request.Context(), m, req.Inputs, m.decoder.OutputNames())
	if err != nil {
		return m, err
	}
	if err := s.checkOutputsBound(outs); err != nil {
		return m, err
	}
	out, err := m.decoder.EncodeLimit(outs, req, s.responseLimit())
	if err != nil {
		return m, s.encodingError(err)
	}
	m.observeDrift(req.Inputs, outs)
	s.logRequest(c.GetHeader("X-Request-ID"), m, req.Inputs, outs)
	c.Data(http.StatusOK, "application/json", out)
	return m, nil
}
