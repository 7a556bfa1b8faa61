package server

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking"
)

// MLflow 3's trace routes (StartTraceV3, GetTraceInfoV3, BatchGetTraces,
// SearchTracesV3, DeleteTraces, trace tags, LinkTracesToRun, assessments),
// served when the store keeps traces (tracing.Store).

// maxTraceResults bounds one traces/search page.
const maxTraceResults = 50000

// traceStore is the server's trace store, or an error saying the store
// keeps none.
func (s *Server) traceStore() (tracing.Store, error) {
	ts, ok := s.store.(tracing.Store)
	if !ok {
		return nil, &routeError{404, "This server's store does not keep traces."}
	}
	return ts, nil
}

// traceInfoV3 renders a trace's info as MLflow 3's TraceInfoV3.
func traceInfoV3(t tracing.TraceInfo) mlflowrest.TraceInfoV3 {
	req, resp := t.RequestPreview, t.ResponsePreview
	out := mlflowrest.TraceInfoV3{
		TraceID:         t.TraceID,
		ClientRequestID: t.ClientRequestID,
		TraceLocation: mlflowrest.TraceLocation{Type: "MLFLOW_EXPERIMENT",
			MlflowExperiment: &mlflowrest.MlflowExperimentLocation{ExperimentID: t.ExperimentID}},
		RequestPreview:    &req,
		ResponsePreview:   &resp,
		RequestTime:       formatTimestamp(t.RequestTime),
		ExecutionDuration: formatDuration(t.Duration),
		State:             t.State,
		TraceMetadata:     t.Metadata,
		Tags:              t.Tags,
	}
	for _, a := range t.Assessments {
		out.Assessments = append(out.Assessments, a.Body)
	}
	return out
}

// formatTimestamp renders milliseconds as protobuf's Timestamp JSON.
func formatTimestamp(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	if ms%1000 == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// formatDuration renders milliseconds as protobuf's Duration JSON.
func formatDuration(ms int64) string {
	if ms%1000 == 0 {
		return strconv.FormatInt(ms/1000, 10) + "s"
	}
	sign := ""
	if ms < 0 {
		sign, ms = "-", -ms
	}
	return fmt.Sprintf("%s%d.%03ds", sign, ms/1000, ms%1000)
}

// parseTimestamp reads protobuf's Timestamp JSON into milliseconds.
func parseTimestamp(field, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, invalidParam("Invalid value '%s' for parameter '%s': expected an RFC 3339 time such as 2025-01-02T03:04:05.678Z.", v, field)
	}
	return t.UnixMilli(), nil
}

// parseDuration reads protobuf's Duration JSON ("0.189s") into milliseconds.
func parseDuration(field, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || !strings.HasSuffix(v, "s") || strings.HasSuffix(v, "ms") || strings.HasSuffix(v, "ns") || strings.HasSuffix(v, "us") {
		return 0, invalidParam("Invalid value '%s' for parameter '%s': expected a duration in seconds such as 0.189s.", v, field)
	}
	return d.Milliseconds(), nil
}

// traceInfoFromV3 reads a StartTraceV3 request's trace info.
func traceInfoFromV3(in mlflowrest.TraceInfoV3) (tracing.TraceInfo, error) {
	t := tracing.TraceInfo{TraceID: in.TraceID, ClientRequestID: in.ClientRequestID, State: in.State,
		Metadata: in.TraceMetadata, Tags: in.Tags}
	if !validTraceID(in.TraceID) {
		return t, invalidParam("Invalid trace_id '%s': expected 'tr-' followed by hex digits.", in.TraceID)
	}
	if in.TraceLocation.MlflowExperiment == nil || in.TraceLocation.MlflowExperiment.ExperimentID == "" {
		return t, invalidParam("Missing value for required parameter 'trace_location.mlflow_experiment.experiment_id'.")
	}
	t.ExperimentID = in.TraceLocation.MlflowExperiment.ExperimentID
	if in.RequestPreview != nil {
		t.RequestPreview = *in.RequestPreview
	}
	if in.ResponsePreview != nil {
		t.ResponsePreview = *in.ResponsePreview
	}
	if t.State == "" {
		t.State = tracing.StateUnspecified
	}
	switch t.State {
	case tracing.StateUnspecified, tracing.StateOK, tracing.StateError, tracing.StateInProgress:
	default:
		return t, invalidParam("Invalid value '%s' for parameter 'state': expected one of OK, ERROR, IN_PROGRESS, STATE_UNSPECIFIED.", t.State)
	}
	var err error
	if t.RequestTime, err = parseTimestamp("request_time", in.RequestTime); err != nil {
		return t, err
	}
	if t.Duration, err = parseDuration("execution_duration", in.ExecutionDuration); err != nil {
		return t, err
	}
	return t, nil
}

// validTraceID: "tr-" and hex digits, or a client's own id of word
// characters; never empty and never long.
func validTraceID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (s *Server) startTraceV3(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.StartTraceV3Request
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	info, err := traceInfoFromV3(req.Trace.TraceInfo)
	if err != nil {
		return nil, err
	}
	got, err := ts.StartTrace(c.Request.Context(), info)
	if err != nil {
		return nil, err
	}
	return mlflowrest.TraceResponse{Trace: mlflowrest.TraceV3{TraceInfo: traceInfoV3(got)}}, nil
}

func (s *Server) getTraceInfoV3(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	t, err := ts.GetTraceInfo(c.Request.Context(), c.Param("trace_id"))
	if err != nil {
		return nil, err
	}
	return mlflowrest.TraceResponse{Trace: mlflowrest.TraceV3{TraceInfo: traceInfoV3(t)}}, nil
}

func (s *Server) batchGetTraces(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.BatchGetTracesRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	if len(req.TraceIDs) > 1000 {
		return nil, invalidParam("Too many trace_ids: %d; at most 1000 in one batchGet.", len(req.TraceIDs))
	}
	infos, spans, err := ts.GetTraces(c.Request.Context(), req.TraceIDs)
	if err != nil {
		return nil, err
	}
	// As MLflow: only traces whose spans the server holds; a client reads
	// the others' spans from their traces.json artifact.
	var out mlflowrest.BatchGetTracesResponse
	for _, t := range infos {
		if len(spans[t.TraceID]) == 0 {
			continue
		}
		tr := mlflowrest.TraceV3{TraceInfo: traceInfoV3(t)}
		for _, sp := range spans[t.TraceID] {
			tr.Spans = append(tr.Spans, sp.Content)
		}
		out.Traces = append(out.Traces, tr)
	}
	return out, nil
}

// getTraceV3 answers GET traces/get: a trace's info with the spans the
// server holds (none for a trace whose client keeps its spans in a
// traces.json artifact); an unknown trace is 404.
func (s *Server) getTraceV3(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.GetTraceRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	infos, spans, err := ts.GetTraces(c.Request.Context(), []string{req.TraceID})
	if err != nil {
		return nil, err
	}
	if len(infos) == 0 {
		return nil, tracking.NotFound("Trace with ID '%s' not found.", req.TraceID)
	}
	tr := mlflowrest.TraceV3{TraceInfo: traceInfoV3(infos[0])}
	for _, sp := range spans[req.TraceID] {
		tr.Spans = append(tr.Spans, sp.Content)
	}
	return mlflowrest.GetTraceResponse{Trace: tr}, nil
}

// tracePageToken is MLflow's traces/search page token: base64 of
// {"offset": N}.
func tracePageToken(offset int) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf(`{"offset": %d}`, offset)))
}

func parseTracePageToken(tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	b, err := base64.StdEncoding.DecodeString(tok)
	var v struct {
		Offset *int `json:"offset"`
	}
	if err != nil || json.Unmarshal(b, &v) != nil || v.Offset == nil || *v.Offset < 0 {
		return 0, invalidParam("Invalid page token '%s'.", tok)
	}
	return *v.Offset, nil
}

// parseSearchTraces reads a traces/search request, naming the bad field.
func parseSearchTraces(req mlflowrest.SearchTracesV3Request) (tracing.SearchRequest, error) {
	out := tracing.SearchRequest{MaxResults: int(req.MaxResults)}
	if out.MaxResults == 0 {
		out.MaxResults = 100
	}
	if out.MaxResults < 0 || out.MaxResults > maxTraceResults {
		return out, invalidParam("Invalid value %d for parameter 'max_results': expected 1 to %d.", req.MaxResults, maxTraceResults)
	}
	for _, l := range req.Locations {
		if l.MlflowExperiment == nil || l.MlflowExperiment.ExperimentID == "" {
			return out, invalidParam("Invalid value for parameter 'locations': each needs mlflow_experiment.experiment_id.")
		}
		out.ExperimentIDs = append(out.ExperimentIDs, l.MlflowExperiment.ExperimentID)
	}
	var err error
	if out.Filter, err = tracing.ParseFilter(req.Filter); err != nil {
		return out, err
	}
	if out.OrderBy, err = tracing.ParseOrderBy(req.OrderBy); err != nil {
		return out, err
	}
	out.Offset, err = parseTracePageToken(req.PageToken)
	return out, err
}

func (s *Server) searchTracesV3(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.SearchTracesV3Request
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	sr, err := parseSearchTraces(req)
	if err != nil {
		return nil, err
	}
	infos, next, err := ts.SearchTraces(c.Request.Context(), sr)
	if err != nil {
		return nil, err
	}
	var out mlflowrest.SearchTracesV3Response
	for _, t := range infos {
		out.Traces = append(out.Traces, traceInfoV3(t))
	}
	if next {
		out.NextPageToken = tracePageToken(sr.Offset + len(infos))
	}
	return out, nil
}

func (s *Server) deleteTraces(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.DeleteTracesRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	if len(req.RequestIDs) == 0 && req.MaxTimestampMillis == 0 {
		return nil, invalidParam("Either `max_timestamp_millis` or `request_ids` must be specified.")
	}
	if len(req.RequestIDs) > 0 && (req.MaxTimestampMillis != 0 || req.MaxTraces != 0) {
		return nil, invalidParam("Only one of `max_timestamp_millis` and `request_ids` can be specified.")
	}
	n, err := ts.DeleteTraces(c.Request.Context(), req.ExperimentID, req.RequestIDs, int64(req.MaxTimestampMillis), int(req.MaxTraces))
	if err != nil {
		return nil, err
	}
	return mlflowrest.DeleteTracesResponse{TracesDeleted: n}, nil
}

func (s *Server) setTraceTag(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.TraceTagRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	if _, err := tracking.ValidateTag(tracking.Tag{Key: req.Key, Value: req.Value}); err != nil {
		return nil, err
	}
	return nil, ts.SetTraceTag(c.Request.Context(), traceIDParam(c), req.Key, req.Value)
}

func (s *Server) deleteTraceTag(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.TraceTagRequest
	if c.Request.ContentLength == 0 && c.Query("key") != "" {
		req.Key = c.Query("key")
	} else if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, ts.DeleteTraceTag(c.Request.Context(), traceIDParam(c), req.Key)
}

// traceIDParam is the trace id of a v3 (trace_id) or v2 (request_id) path.
func traceIDParam(c *gin.Context) string {
	if id := c.Param("trace_id"); id != "" {
		return id
	}
	return c.Param("request_id")
}

func (s *Server) linkTracesToRun(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.LinkTracesToRunRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	if len(req.TraceIDs) > 100 {
		return nil, invalidParam("Cannot link more than 100 traces to a run in a single request. Provided %d traces.", len(req.TraceIDs))
	}
	ctx := c.Request.Context()
	if _, err := s.store.GetRun(ctx, req.RunID); err != nil {
		return nil, err
	}
	return nil, ts.LinkTracesToRun(ctx, req.TraceIDs, req.RunID)
}

// newTraceObjectID returns prefix and 32 random hex digits, as MLflow's
// assessment ids ("a-...").
func newTraceObjectID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
