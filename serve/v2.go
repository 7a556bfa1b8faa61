package serve

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/buildinfo"
	"github.com/berthml/berth/internal/httpguard"
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
func (s *Server) infer(c *gin.Context, start time.Time) (*Model, error) {
	m, err := s.model(c.Param("model"), c.Param("version"))
	if err != nil {
		return nil, err
	}
	defer m.release()
	defer s.track(m)()
	hl := c.GetHeader(oip.HeaderInferenceContentLength)
	if err := oip.CheckInferContentType(c.GetHeader("Content-Type"), hl); err != nil {
		return m, err
	}
	// The binary section starts hl bytes into the body: placing the body so
	// that it is 8-aligned lets its tensors be read in place.
	lead := 0
	if n, err := strconv.ParseInt(hl, 10, 64); err == nil && n >= 0 {
		lead = int((8 - n%8) % 8)
	}
	hold := httpguard.NewHold(s.bodies)
	defer hold.Release()
	body, release, err := s.readBodyAt(c, lead, &hold)
	if err != nil {
		return m, err
	}
	if err := s.weigh(&hold, jsonPart(body, hl), false); err != nil {
		release()
		return m, err
	}
	// req's binary tensors may point into body (DecodeInferRequestInPlace),
	// so the buffer goes back to the pool only once nothing reads them: after
	// the response is written. The drift taps and the request log read the
	// tensors while the request runs and keep copies of what they record. A
	// run that failed (a timeout may leave it running on the tensors) keeps
	// its buffer out of the pool.
	req, err := oip.DecodeInferRequestInPlace(body, hl, m.wireInputs)
	if err == nil {
		err = req.CheckOutputs(m.Predictor().Outputs())
	}
	if err != nil {
		release()
		return m, err
	}
	if err := s.checkResponseBound(m, req.Inputs, req.OutputNames()); err != nil {
		release()
		return m, err
	}
	outs, err := s.predict(c.Request.Context(), start, m, req.Inputs, req.OutputNames())
	if err != nil {
		return m, err
	}
	defer release()
	if err := s.checkOutputsBound(outs); err != nil {
		return m, err
	}
	// A large JSON response is streamed as /invocations streams its own
	// (see there); binary outputs are encoded whole.
	limit := s.responseLimit()
	if !anyBinary(req, outs) {
		if bound := oip.ResponseSizeBound(m.Name, m.Version, req.ID, outs); bound > streamAbove && (limit == 0 || bound <= int64(limit)) {
			c.Writer.Header()["Content-Type"] = jsonContentType
			w := &startedWriter{w: c.Writer}
			if err := oip.EncodeInferResponseTo(w, m.Name, m.Version, req.ID, outs, req); err != nil {
				if !w.started {
					return m, s.encodingError(err)
				}
				// The status line is out: the client sees a cut response.
				s.opts.logger.Warn("writing an inference response", "model", m.Name, "err", err)
			}
			m.observeDrift(req.Inputs, outs)
			s.logRequest(c.GetHeader("X-Request-ID"), m, req.Inputs, outs)
			return m, nil
		}
	}
	out, headerLen, err := oip.EncodeInferResponseLimit(m.Name, m.Version, req.ID, outs, req, limit)
	if err != nil {
		return m, s.encodingError(err)
	}
	m.observeDrift(req.Inputs, outs)
	s.logRequest(c.GetHeader("X-Request-ID"), m, req.Inputs, outs)
	contentType := jsonContentType
	if headerLen >= 0 {
		c.Header(oip.HeaderInferenceContentLength, strconv.Itoa(headerLen))
		contentType = binaryContentType
	}
	writeOK(c, contentType, out)
	return m, nil
}

// anyBinary reports whether req wants one of outs as binary data.
func anyBinary(req *oip.Request, outs []*flavors.Tensor) bool {
	for _, t := range outs {
		if req.WantsBinary(t.Name) {
			return true
		}
	}
	return false
}

// modelStatusV1 answers KServe V1's GET /v1/models/{m}.
func (s *Server) modelStatusV1(c *gin.Context) {
	m, err := s.model(c.Param("model"), "")
	var notFound *ModelNotFoundError
	if errors.As(err, &notFound) && strings.HasSuffix(c.Param("model"), ":predict") {
		// GET on the predict route, which only takes POST.
		c.Header("Allow", http.MethodPost)
		err = &routeError{http.StatusMethodNotAllowed, "method GET is not allowed on " + c.Request.URL.Path + " (:predict takes POST)"}
	}
	if err != nil {
		s.writeError(c, protoV1, err)
		return
	}
	defer m.release()
	c.JSON(http.StatusOK, gin.H{"name": m.Name, "ready": true})
}

// predictV1 answers KServe V1's POST /v1/models/{m}:predict.
func (s *Server) predictV1(c *gin.Context, start time.Time) (*Model, error) {
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
	hold := httpguard.NewHold(s.bodies)
	defer hold.Release()
	body, release, err := s.readBody(c, &hold)
	if err != nil {
		return m, err
	}
	if err := s.weigh(&hold, body, false); err != nil {
		release()
		return m, err
	}
	inputs, err := oip.DecodeV1Predict(body, m.wireInputs)
	release()
	if err != nil {
		return m, err
	}
	if err := s.checkResponseBound(m, inputs, nil); err != nil {
		return m, err
	}
	outs, err := s.predict(c.Request.Context(), start, m, inputs, nil)
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
	writeOK(c, jsonContentType, out)
	return m, nil
}
