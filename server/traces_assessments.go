package server

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/tracing"
)

// Assessments (feedback and expectations) under
// /api/3.0/mlflow/traces/{trace_id}/assessments. The server keeps the
// assessment as the client sent it, filling in its id, trace id, times and
// valid, as MLflow does.

// assessmentFields parses an assessment body into its top-level fields.
func assessmentFields(raw json.RawMessage) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, invalidParam("Invalid value for parameter 'assessment': expected a JSON object.")
	}
	return m, nil
}

// toAssessment builds the stored assessment from its fields.
func toAssessment(m map[string]json.RawMessage) (tracing.Assessment, error) {
	var a tracing.Assessment
	str := func(k string) string {
		var v string
		_ = json.Unmarshal(m[k], &v)
		return v
	}
	a.ID, a.TraceID, a.Name = str("assessment_id"), str("trace_id"), str("assessment_name")
	if a.Name == "" {
		return a, invalidParam("Missing value for required parameter 'assessment.assessment_name'.")
	}
	var err error
	if a.CreateTime, err = parseTimestamp("assessment.create_time", str("create_time")); err != nil {
		return a, err
	}
	if a.LastUpdateTime, err = parseTimestamp("assessment.last_update_time", str("last_update_time")); err != nil {
		return a, err
	}
	_, fb := m["feedback"]
	_, ex := m["expectation"]
	switch {
	case fb && ex:
		return a, invalidParam("An assessment is either a feedback or an expectation, not both.")
	case fb:
		a.Kind = tracing.EntityFeedback
	case ex:
		a.Kind = tracing.EntityExpectation
	default:
		return a, invalidParam("Missing value for required parameter 'assessment.feedback' or 'assessment.expectation'.")
	}
	var holder struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(m[a.Kind], &holder); err != nil {
		return a, invalidParam("Invalid value for parameter 'assessment.%s': expected an object with a value.", a.Kind)
	}
	a.Value = compactJSON(holder.Value)
	body, err := json.Marshal(m)
	if err != nil {
		return a, err
	}
	a.Body = body
	return a, nil
}

func compactJSON(raw json.RawMessage) string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonString(v string) json.RawMessage { b, _ := json.Marshal(v); return b }

// assessmentRequest is the trace store, the request and the fields of the
// assessment that a create or update request carries.
func (s *Server) assessmentRequest(c *gin.Context) (tracing.Store, *mlflowrest.AssessmentRequest, map[string]json.RawMessage, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, nil, nil, err
	}
	var req mlflowrest.AssessmentRequest
	if err := s.bind(c, &req); err != nil {
		return nil, nil, nil, err
	}
	m, err := assessmentFields(req.Assessment)
	if err != nil {
		return nil, nil, nil, err
	}
	return ts, &req, m, nil
}

func (s *Server) createAssessment(c *gin.Context) (any, error) {
	ts, _, m, err := s.assessmentRequest(c)
	if err != nil {
		return nil, err
	}
	now := formatTimestamp(time.Now().UnixMilli())
	m["assessment_id"] = jsonString(newTraceObjectID("a-"))
	m["trace_id"] = jsonString(c.Param("trace_id"))
	for _, k := range []string{"create_time", "last_update_time"} {
		if _, ok := m[k]; !ok {
			m[k] = jsonString(now)
		}
	}
	if _, ok := m["valid"]; !ok {
		m["valid"] = json.RawMessage("true")
	}
	a, err := toAssessment(m)
	if err != nil {
		return nil, err
	}
	a, err = ts.CreateAssessment(c.Request.Context(), a)
	if err != nil {
		return nil, err
	}
	return mlflowrest.AssessmentResponse{Assessment: a.Body}, nil
}

func (s *Server) getAssessment(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	a, err := ts.GetAssessment(c.Request.Context(), c.Param("trace_id"), c.Param("assessment_id"))
	if err != nil {
		return nil, err
	}
	return mlflowrest.AssessmentResponse{Assessment: a.Body}, nil
}

// snakeCase turns an update_mask path (assessmentName) into its JSON
// field name (assessment_name).
func snakeCase(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// updatable are the fields update_mask may name.
var updatable = map[string]bool{"assessment_name": true, "feedback": true, "expectation": true, "rationale": true,
	"metadata": true, "valid": true, "source": true, "span_id": true}

func (s *Server) updateAssessment(c *gin.Context) (any, error) {
	ts, req, patch, err := s.assessmentRequest(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	old, err := ts.GetAssessment(ctx, c.Param("trace_id"), c.Param("assessment_id"))
	if err != nil {
		return nil, err
	}
	m, err := assessmentFields(old.Body)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.UpdateMask) == "" {
		return nil, invalidParam("Missing value for required parameter 'update_mask'.")
	}
	for _, p := range strings.Split(req.UpdateMask, ",") {
		f := snakeCase(strings.TrimSpace(p))
		if !updatable[f] {
			return nil, invalidParam("Invalid update_mask field '%s'.", p)
		}
		if v, ok := patch[f]; ok {
			m[f] = v
		} else {
			delete(m, f)
		}
		switch f {
		case "feedback":
			delete(m, "expectation")
		case "expectation":
			delete(m, "feedback")
		}
	}
	m["last_update_time"] = jsonString(formatTimestamp(time.Now().UnixMilli()))
	a, err := toAssessment(m)
	if err != nil {
		return nil, err
	}
	a, err = ts.UpdateAssessment(ctx, a)
	if err != nil {
		return nil, err
	}
	return mlflowrest.AssessmentResponse{Assessment: a.Body}, nil
}

func (s *Server) deleteAssessment(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	return nil, ts.DeleteAssessment(c.Request.Context(), c.Param("trace_id"), c.Param("assessment_id"))
}
