package mlflowrest

import "encoding/json"

// TraceLocation is where a trace lives: an MLflow experiment.
type TraceLocation struct {
	Type             string                    `json:"type"`
	MlflowExperiment *MlflowExperimentLocation `json:"mlflow_experiment,omitempty"`
}

// MlflowExperimentLocation names the experiment of a TraceLocation.
type MlflowExperimentLocation struct {
	ExperimentID string `json:"experiment_id"`
}

// TraceInfoV3 is MLflow 3's trace header. RequestTime is RFC 3339 and
// ExecutionDuration a protobuf Duration string such as "0.189s".
type TraceInfoV3 struct {
	TraceID           string            `json:"trace_id"`
	ClientRequestID   string            `json:"client_request_id,omitempty"`
	TraceLocation     TraceLocation     `json:"trace_location"`
	RequestPreview    *string           `json:"request_preview,omitempty"`
	ResponsePreview   *string           `json:"response_preview,omitempty"`
	RequestTime       string            `json:"request_time,omitempty"`
	ExecutionDuration string            `json:"execution_duration,omitempty"`
	State             string            `json:"state,omitempty"`
	TraceMetadata     map[string]string `json:"trace_metadata,omitempty"`
	Assessments       []json.RawMessage `json:"assessments,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
}

// TraceV3 is a trace: its info and, in batchGet, its spans (OTLP span JSON).
type TraceV3 struct {
	TraceInfo TraceInfoV3       `json:"trace_info"`
	Spans     []json.RawMessage `json:"spans,omitempty"`
}

// StartTraceV3Request is the body of POST /api/3.0/mlflow/traces.
type StartTraceV3Request struct {
	Trace *TraceV3 `json:"trace"`
}

// Validate checks the required fields.
func (r *StartTraceV3Request) Validate() error {
	if r.Trace == nil {
		return &MissingParamError{"trace"}
	}
	if r.Trace.TraceInfo.TraceID == "" {
		return &MissingParamError{"trace_id"}
	}
	return nil
}

// TraceResponse answers StartTraceV3 and GetTraceInfoV3.
type TraceResponse struct {
	Trace TraceV3 `json:"trace"`
}

// BatchGetTracesRequest is the query of GET /api/3.0/mlflow/traces/batchGet.
type BatchGetTracesRequest struct {
	TraceIDs []string `json:"trace_ids"`
}

// GetTraceRequest is the query of GET /api/3.0/mlflow/traces/get (MLflow's
// GetTrace): one trace with its spans. MLflow's allow_partial is not read:
// the answer holds every span the server has.
type GetTraceRequest struct {
	TraceID string `json:"trace_id"`
}

// Validate reports a missing trace_id.
func (r GetTraceRequest) Validate() error {
	if r.TraceID == "" {
		return missing("trace_id")
	}
	return nil
}

// GetTraceResponse answers traces/get.
type GetTraceResponse struct {
	Trace TraceV3 `json:"trace"`
}

// BatchGetTracesResponse answers batchGet.
type BatchGetTracesResponse struct {
	Traces []TraceV3 `json:"traces,omitempty"`
}

// SearchTracesV3Request is the body of POST /api/3.0/mlflow/traces/search.
type SearchTracesV3Request struct {
	Locations  []TraceLocation `json:"locations,omitempty"`
	Filter     string          `json:"filter,omitempty"`
	MaxResults Int64           `json:"max_results,omitempty"`
	OrderBy    []string        `json:"order_by,omitempty"`
	PageToken  string          `json:"page_token,omitempty"`
}

// SearchTracesV3Response answers traces/search.
type SearchTracesV3Response struct {
	Traces        []TraceInfoV3 `json:"traces,omitempty"`
	NextPageToken string        `json:"next_page_token,omitempty"`
}

// DeleteTracesRequest is the body of POST traces/delete-traces (v2 and v3).
type DeleteTracesRequest struct {
	ExperimentID       string   `json:"experiment_id"`
	MaxTimestampMillis Int64    `json:"max_timestamp_millis,omitempty"`
	MaxTraces          Int64    `json:"max_traces,omitempty"`
	RequestIDs         []string `json:"request_ids,omitempty"`
}

// Validate checks the required fields.
func (r *DeleteTracesRequest) Validate() error {
	if r.ExperimentID == "" {
		return &MissingParamError{"experiment_id"}
	}
	return nil
}

// DeleteTracesResponse answers delete-traces.
type DeleteTracesResponse struct {
	TracesDeleted int `json:"traces_deleted"`
}

// TraceTagRequest is the body of PATCH (key, value) and DELETE (key)
// traces/{id}/tags.
type TraceTagRequest struct {
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

// Validate checks the required fields.
func (r *TraceTagRequest) Validate() error {
	if r.Key == "" {
		return &MissingParamError{"key"}
	}
	return nil
}

// LinkTracesToRunRequest is the body of POST /api/3.0/mlflow/traces/link-to-run.
type LinkTracesToRunRequest struct {
	TraceIDs []string `json:"trace_ids"`
	RunID    string   `json:"run_id"`
}

// Validate checks the required fields.
func (r *LinkTracesToRunRequest) Validate() error {
	if r.RunID == "" {
		return &MissingParamError{"run_id"}
	}
	return nil
}

// AssessmentRequest is the body of POST and PATCH .../assessments: the
// assessment as the client sent it, and for PATCH the fields to change.
type AssessmentRequest struct {
	Assessment json.RawMessage `json:"assessment"`
	UpdateMask string          `json:"update_mask,omitempty"`
}

// Validate checks the required fields.
func (r *AssessmentRequest) Validate() error {
	if len(r.Assessment) == 0 || string(r.Assessment) == "null" {
		return &MissingParamError{"assessment"}
	}
	return nil
}

// AssessmentResponse answers the assessment routes.
type AssessmentResponse struct {
	Assessment json.RawMessage `json:"assessment"`
}

// TraceKV is a key and value of MLflow 2's trace tags and request metadata.
type TraceKV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TraceInfoV2 is MLflow 2's trace header.
type TraceInfoV2 struct {
	RequestID       string    `json:"request_id"`
	ExperimentID    string    `json:"experiment_id"`
	TimestampMs     Int64     `json:"timestamp_ms"`
	ExecutionTimeMs Int64     `json:"execution_time_ms"`
	Status          string    `json:"status"`
	RequestMetadata []TraceKV `json:"request_metadata"`
	Tags            []TraceKV `json:"tags"`
}

// TraceInfoV2Response answers MLflow 2's StartTrace, EndTrace and GetTraceInfo.
type TraceInfoV2Response struct {
	TraceInfo TraceInfoV2 `json:"trace_info"`
}

// StartTraceV2Request is the body of POST /api/2.0/mlflow/traces.
type StartTraceV2Request struct {
	ExperimentID    string    `json:"experiment_id"`
	TimestampMs     Int64     `json:"timestamp_ms"`
	RequestMetadata []TraceKV `json:"request_metadata,omitempty"`
	Tags            []TraceKV `json:"tags,omitempty"`
}

// Validate checks the required fields.
func (r *StartTraceV2Request) Validate() error {
	if r.ExperimentID == "" {
		return &MissingParamError{"experiment_id"}
	}
	return nil
}

// EndTraceV2Request is the body of PATCH /api/2.0/mlflow/traces/{request_id}.
type EndTraceV2Request struct {
	RequestID       string    `json:"request_id,omitempty"`
	TimestampMs     Int64     `json:"timestamp_ms"`
	Status          string    `json:"status"`
	RequestMetadata []TraceKV `json:"request_metadata,omitempty"`
	Tags            []TraceKV `json:"tags,omitempty"`
}

// SearchTracesV2Request is the query of GET /api/2.0/mlflow/traces.
type SearchTracesV2Request struct {
	ExperimentIDs []string `json:"experiment_ids"`
	Filter        string   `json:"filter,omitempty"`
	MaxResults    Int64    `json:"max_results,omitempty"`
	OrderBy       []string `json:"order_by,omitempty"`
	PageToken     string   `json:"page_token,omitempty"`
}

// SearchTracesV2Response answers MLflow 2's SearchTraces.
type SearchTracesV2Response struct {
	Traces        []TraceInfoV2 `json:"traces,omitempty"`
	NextPageToken string        `json:"next_page_token,omitempty"`
}
