package serve

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/internal/buildinfo"
)

// platform is what model metadata reports, in Triton's naming.
const platform = "onnxruntime_onnx"

func (s *Server) serverMetadata(c *gin.Context) {
	c.JSON(http.StatusOK, oip.ServerMetadata{
		Name:       "berth",
		Version:    buildinfo.Version,
		Extensions: []string{"binary_tensor_data"},
	})
}

func (s *Server) live(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"live": true}) }

func (s *Server) readyV2(c *gin.Context) {
	if !s.Ready() {
		c.JSON(http.StatusServiceUnavailable, gin.H{"ready": false})
		return
	}
	c.JSON(http.StatusOK, gin.H{"ready": true})
}

func (s *Server) modelMetadata(c *gin.Context) {
	m, err := s.model(c.Param("model"), c.Param("version"))
	if err != nil {
		s.writeError(c, protoV2, err)
		return
	}
	defer m.release()
	inputs, err := oip.MetadataTensors(m.inputs)
	if err != nil {
		s.writeError(c, protoV2, err)
		return
	}
	outputs, err := oip.MetadataTensors(m.outputs)
	if err != nil {
		s.writeError(c, protoV2, err)
		return
	}
	c.JSON(http.StatusOK, oip.ModelMetadata{
		Name:     m.Name,
		Versions: []string{m.Version},
		Platform: platform,
		Inputs:   inputs,
		Outputs:  outputs,
	})
}

func (s *Server) modelReady(c *gin.Context) {
	m, err := s.model(c.Param("model"), c.Param("version"))
	if err != nil {
		s.writeError(c, protoV2, err)
		return
	}
	defer m.release()
	c.JSON(http.StatusOK, gin.H{"name": m.Name, "ready": true})
}

// infer scores a request in the Open Inference Protocol, with JSON tensors
// or the binary tensor data extension.
func (s *Server) infer(c *gin.Context) (*Model, error) {
	m, err := s.model(c.Param("model"), c.Param("version"))
	if err != nil {
		return nil, err
	}
	defer m.release()
	defer s.track(m)()
	if err := oip.CheckInferContentType(c.GetHeader("Content-Type"), c.GetHeader(oip.HeaderInferenceContentLength)); err != nil {
		return m, err
	}
	hl := c.GetHeader(oip.HeaderInferenceContentLength)
	// The binary section starts hl bytes into the body: placing the body so
	// that it is 8-aligned lets its tensors be read in place.
	lead := 0
	if n, err := strconv.ParseInt(hl, 10, 64); err == nil && n >= 0 {
		lead = int((8 - n%8) % 8)
	}
	body, release, err := s.readBodyAt(c, lead)
	if err != nil {
		return m, err
	}
	// req's binary tensors may point into body (DecodeInferRequestInPlace),
	// so the buffer goes back to the pool only once nothing reads them: after
	// the response is written. The drift taps and the request log read the
	// tensors while the request runs and keep copies of what they record. A
	// run that failed (a timeout may leave it running on the tensors) keeps
	// its buffer out of the pool.
	req, err := oip.DecodeInferRequestInPlace(body, hl, m.inputs)
	if err != nil {
		release()
		return m, err
	}
	if err := s.checkResponseBound(m, req.Inputs, req.OutputNames()); err != nil {
		release()
		return m, err
	}
	outs, err := s.predict(c.Request.Context(), m, req.Inputs, req.OutputNames())
	if err != nil {
		return m, err
	}
	defer release()
	if err := s.checkOutputsBound(outs); err != nil {
		return m, err
	}
	out, headerLen, err := oip.EncodeInferResponseLimit(m.Name, m.Version, req.ID, outs, req, s.responseLimit())
	if err != nil {
		return m, s.encodingError(err)
	}
	m.observeDrift(req.Inputs, outs)
	s.logRequest(c.GetHeader("X-Request-ID"), m, req.Inputs, outs)
	contentType := "application/json"
	if headerLen >= 0 {
		c.Header(oip.HeaderInferenceContentLength, strconv.Itoa(headerLen))
		contentType = oip.ContentTypeBinary
	}
	c.Data(http.StatusOK, contentType, out)
	return m, nil
}

// modelStatusV1 answers KServe V1's GET /v1/models/{m}.
func (s *Server) modelStatusV1(c *gin.Context) {
	m, err := s.model(c.Param("model"), "")
	if err != nil {
		s.writeError(c, protoV1, err)
		return
	}
	defer m.release()
	c.JSON(http.StatusOK, gin.H{"name": m.Name, "ready": true})
}

// predictV1 answers KServe V1's POST /v1/models/{m}:predict.
func (s *Server) predictV1(c *gin.Context) (*Model, error) {
	name, ok := strings.CutSuffix(c.Param("model"), ":predict")
	if !ok {
		return nil, &routeError{http.StatusNotFound, "no route for POST " + c.Request.URL.Path + " (did you mean :predict?)"}
	}
	m, err := s.model(name, "")
	if err != nil {
		return nil, err
	}
	defer m.release()
	defer s.track(m)()
	if err := oip.CheckV1ContentType(c.GetHeader("Content-Type")); err != nil {
		return m, err
	}
	body, release, err := s.readBody(c)
	if err != nil {
		return m, err
	}
	inputs, err := oip.DecodeV1Predict(body, m.inputs)
	release()
	if err != nil {
		return m, err
	}
	if err := s.checkResponseBound(m, inputs, nil); err != nil {
		return m, err
	}
	outs, err := s.predict(c.Request.Context(), m, inputs, nil)
	if err != nil {
		return m, err
	}
	if err := s.checkOutputsBound(outs); err != nil {
		return m, err
	}
	out, err := oip.EncodeV1PredictLimit(outs, s.responseLimit())
	if err != nil {
		return m, s.encodingError(err)
	}
	m.observeDrift(inputs, outs)
	s.logRequest(c.GetHeader("X-Request-ID"), m, inputs, outs)
	c.Data(http.StatusOK, "application/json", out)
	return m, nil
}
