package server

import (
	"errors"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/tracing/otlp"
)

// OTLP span ingestion: POST /v1/traces, an OTLP ExportTraceServiceRequest
// as protobuf or JSON, into the experiment that X-Mlflow-Experiment-Id (or
// X-Mlflow-Experiment-Name) names, as MLflow 3.6's otel_api does.

// otlpError is a malformed OTLP body: 400 INVALID_PARAMETER_VALUE.
func otlpError(err error) error {
	var oe *otlp.Error
	if errors.As(err, &oe) {
		return invalidParam("%s", oe.Msg)
	}
	return err
}

func (s *Server) ingestOTLP(c *gin.Context) {
	if err := s.ingestOTLPBody(c); err != nil {
		s.writeError(c, err)
		return
	}
	// An empty ExportTraceServiceResponse, in the request's encoding: a
	// full success. (MLflow answers JSON bytes labelled protobuf, which an
	// OTLP exporter other than MLflow's cannot read.)
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt == otlp.ContentJSON {
		c.Data(http.StatusOK, otlp.ContentJSON, []byte(`{"partialSuccess":{}}`))
		return
	}
	c.Data(http.StatusOK, otlp.ContentProtobuf, nil)
}

func (s *Server) ingestOTLPBody(c *gin.Context) error {
	if _, err := s.traceStore(); err != nil {
		return err
	}
	ct := c.GetHeader("Content-Type")
	if !otlp.IsSupported(ct) {
		return invalidParam("Unsupported Content-Type %q for /v1/traces: use %s or %s.", ct, otlp.ContentProtobuf, otlp.ContentJSON)
	}
	if enc := c.GetHeader("Content-Encoding"); enc != "" && enc != "identity" {
		return invalidParam("Unsupported Content-Encoding %q for /v1/traces: send the body uncompressed.", enc)
	}
	ctx := c.Request.Context()
	exp := c.GetHeader("X-Mlflow-Experiment-Id")
	if exp == "" {
		name := c.GetHeader("X-Mlflow-Experiment-Name")
		if name == "" {
			return invalidParam("Missing header X-Mlflow-Experiment-Id (or X-Mlflow-Experiment-Name): it names the experiment the spans belong to.")
		}
		e, err := s.store.GetExperimentByName(ctx, name)
		if err != nil {
			return err
		}
		exp = e.ID
	}
	// An experiment id that names none is refused by LogSpans (NOT_FOUND),
	// checked once per gathered transaction rather than once per request.
	body, err := s.readOTLP(c, ct)
	if err != nil {
		return err
	}
	spans, err := otlp.Decode(body, ct)
	if err != nil {
		return otlpError(err)
	}
	// Concurrent requests' spans share a transaction (s.spans exists
	// whenever traceStore does).
	return s.spans.LogSpans(ctx, exp, spans)
}
