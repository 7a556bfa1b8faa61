package server

import (
	"maps"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/tracing"
)

// MLflow 2's trace routes (StartTrace, EndTrace, GetTraceInfo,
// SearchTraces under /api/2.0/mlflow/traces), which MLflow 2.x clients use
// and MLflow 3's client falls back to. A trace started here gets no spans
// location tag, so the client uploads its spans as traces.json under
// mlflow.artifactLocation, through the artifact proxy.

// traceInfoV2 renders a trace's info as MLflow 2's TraceInfo.
func traceInfoV2(t tracing.TraceInfo) mlflowrest.TraceInfoV2 {
	out := mlflowrest.TraceInfoV2{RequestID: t.TraceID, ExperimentID: t.ExperimentID,
		TimestampMs: mlflowrest.Int64(t.RequestTime), ExecutionTimeMs: mlflowrest.Int64(t.Duration), Status: statusV2(t.State),
		RequestMetadata: []mlflowrest.TraceKV{}, Tags: []mlflowrest.TraceKV{}}
	for _, k := range sortedKeys(t.Metadata) {
		out.RequestMetadata = append(out.RequestMetadata, mlflowrest.TraceKV{Key: k, Value: t.Metadata[k]})
	}
	for _, k := range sortedKeys(t.Tags) {
		out.Tags = append(out.Tags, mlflowrest.TraceKV{Key: k, Value: t.Tags[k]})
	}
	return out
}

// statusV2 maps a v3 state to MLflow 2's TraceStatus.
func statusV2(state string) string {
	if state == tracing.StateUnspecified {
		return "TRACE_STATUS_UNSPECIFIED"
	}
	return state
}

// stateV3 maps MLflow 2's TraceStatus to a v3 state.
func stateV3(status string) (string, error) {
	switch status {
	case "", "TRACE_STATUS_UNSPECIFIED":
		return tracing.StateUnspecified, nil
	case tracing.StateOK, tracing.StateError, tracing.StateInProgress:
		return status, nil
	}
	return "", invalidParam("Invalid value '%s' for parameter 'status': expected one of OK, ERROR, IN_PROGRESS, TRACE_STATUS_UNSPECIFIED.", status)
}

func kvMap(kvs []mlflowrest.TraceKV) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func (s *Server) startTraceV2(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.StartTraceV2Request
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	info := tracing.TraceInfo{TraceID: newTraceObjectID("tr-"), ExperimentID: req.ExperimentID,
		RequestTime: int64(req.TimestampMs), State: tracing.StateInProgress,
		Metadata: kvMap(req.RequestMetadata), Tags: kvMap(req.Tags)}
	got, err := ts.StartTrace(c.Request.Context(), info)
	if err != nil {
		return nil, err
	}
	return mlflowrest.TraceInfoV2Response{TraceInfo: traceInfoV2(got)}, nil
}

func (s *Server) endTraceV2(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.EndTraceV2Request
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	info, err := ts.GetTraceInfo(ctx, c.Param("request_id"))
	if err != nil {
		return nil, err
	}
	if info.State, err = stateV3(req.Status); err != nil {
		return nil, err
	}
	info.Duration = max(int64(req.TimestampMs)-info.RequestTime, 0)
	info.Metadata, info.Tags = kvMap(req.RequestMetadata), kvMap(req.Tags)
	info.Assessments = nil
	got, err := ts.StartTrace(ctx, info)
	if err != nil {
		return nil, err
	}
	return mlflowrest.TraceInfoV2Response{TraceInfo: traceInfoV2(got)}, nil
}

func (s *Server) getTraceInfoV2(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	t, err := ts.GetTraceInfo(c.Request.Context(), c.Param("request_id"))
	if err != nil {
		return nil, err
	}
	return mlflowrest.TraceInfoV2Response{TraceInfo: traceInfoV2(t)}, nil
}

func (s *Server) searchTracesV2(c *gin.Context) (any, error) {
	ts, err := s.traceStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.SearchTracesV2Request
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	v3 := mlflowrest.SearchTracesV3Request{Filter: req.Filter, MaxResults: req.MaxResults, OrderBy: req.OrderBy, PageToken: req.PageToken}
	for _, id := range req.ExperimentIDs {
		v3.Locations = append(v3.Locations, mlflowrest.TraceLocation{Type: "MLFLOW_EXPERIMENT",
			MlflowExperiment: &mlflowrest.MlflowExperimentLocation{ExperimentID: id}})
	}
	sr, err := parseSearchTraces(v3)
	if err != nil {
		return nil, err
	}
	infos, next, err := ts.SearchTraces(c.Request.Context(), sr)
	if err != nil {
		return nil, err
	}
	var out mlflowrest.SearchTracesV2Response
	for _, t := range infos {
		out.Traces = append(out.Traces, traceInfoV2(t))
	}
	if next {
		out.NextPageToken = tracePageToken(sr.Offset + len(infos))
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
