package mlflowrest

// Empty is the body of a success that carries no data: {}.
type Empty struct{}

// CreateExperimentRequest is the body of POST experiments/create.
type CreateExperimentRequest struct {
	Name             string          `json:"name"`
	ArtifactLocation string          `json:"artifact_location,omitempty"`
	Tags             []ExperimentTag `json:"tags,omitempty"`
}

// CreateExperimentResponse answers experiments/create.
type CreateExperimentResponse struct {
	ExperimentID string `json:"experiment_id"`
}

// SearchExperimentsRequest is the body (POST) or query (GET) of
// experiments/search. ViewType is ACTIVE_ONLY, DELETED_ONLY or ALL.
type SearchExperimentsRequest struct {
	MaxResults Int64    `json:"max_results,omitempty"`
	PageToken  string   `json:"page_token,omitempty"`
	Filter     string   `json:"filter,omitempty"`
	OrderBy    []string `json:"order_by,omitempty"`
	ViewType   string   `json:"view_type,omitempty"`
}

// SearchExperimentsResponse answers experiments/search.
type SearchExperimentsResponse struct {
	Experiments   []Experiment `json:"experiments,omitempty"`
	NextPageToken string       `json:"next_page_token,omitempty"`
}

// GetExperimentRequest is the query of GET experiments/get.
type GetExperimentRequest struct {
	ExperimentID string `json:"experiment_id"`
}

// GetExperimentByNameRequest is the query of GET experiments/get-by-name.
type GetExperimentByNameRequest struct {
	ExperimentName string `json:"experiment_name"`
}

// GetExperimentResponse answers experiments/get and experiments/get-by-name.
type GetExperimentResponse struct {
	Experiment Experiment `json:"experiment"`
}

// ExperimentIDRequest is the body of experiments/delete and
// experiments/restore.
type ExperimentIDRequest struct {
	ExperimentID string `json:"experiment_id"`
}

// UpdateExperimentRequest is the body of experiments/update (rename).
type UpdateExperimentRequest struct {
	ExperimentID string `json:"experiment_id"`
	NewName      string `json:"new_name,omitempty"`
}

// SetExperimentTagRequest is the body of experiments/set-experiment-tag.
type SetExperimentTagRequest struct {
	ExperimentID string `json:"experiment_id"`
	Key          string `json:"key"`
	Value        string `json:"value"`
}

// DeleteExperimentTagRequest is the body of experiments/delete-tag.
type DeleteExperimentTagRequest struct {
	ExperimentID string `json:"experiment_id"`
	Key          string `json:"key"`
}

// CreateRunRequest is the body of runs/create.
type CreateRunRequest struct {
	ExperimentID string   `json:"experiment_id,omitempty"`
	UserID       string   `json:"user_id,omitempty"`
	RunName      string   `json:"run_name,omitempty"`
	StartTime    Int64    `json:"start_time,omitempty"`
	Tags         []RunTag `json:"tags,omitempty"`
}

// RunResponse answers runs/create and runs/get.
type RunResponse struct {
	Run Run `json:"run"`
}

// GetRunRequest is the query of GET runs/get; the client sends both ids.
type GetRunRequest struct {
	RunID   string `json:"run_id,omitempty"`
	RunUUID string `json:"run_uuid,omitempty"`
}

// UpdateRunRequest is the body of runs/update. Status is a RunStatus name;
// an unknown name is ignored, as MLflow does.
type UpdateRunRequest struct {
	RunID   string `json:"run_id,omitempty"`
	RunUUID string `json:"run_uuid,omitempty"`
	Status  string `json:"status,omitempty"`
	EndTime *Int64 `json:"end_time,omitempty"`
	RunName string `json:"run_name,omitempty"`
}

// UpdateRunResponse answers runs/update.
type UpdateRunResponse struct {
	RunInfo RunInfo `json:"run_info"`
}

// RunIDRequest is the body of runs/delete and runs/restore.
type RunIDRequest struct {
	RunID string `json:"run_id"`
}

// LogMetricRequest is the body of runs/log-metric.
type LogMetricRequest struct {
	RunUUID   string   `json:"run_uuid,omitempty"`
	RunID     string   `json:"run_id,omitempty"`
	Key       string   `json:"key"`
	Value     *Float64 `json:"value,omitempty"`
	Timestamp *Int64   `json:"timestamp,omitempty"`
	Step      Int64    `json:"step"`
	// ModelID also logs the value on that logged model (MLflow 3).
	ModelID       string `json:"model_id,omitempty"`
	DatasetName   string `json:"dataset_name,omitempty"`
	DatasetDigest string `json:"dataset_digest,omitempty"`
}

// LogParamRequest is the body of runs/log-parameter. A missing value is
// logged as "".
type LogParamRequest struct {
	RunUUID string `json:"run_uuid,omitempty"`
	Key     string `json:"key"`
	Value   string `json:"value"`
	RunID   string `json:"run_id,omitempty"`
}

// SetTagRequest is the body of runs/set-tag.
type SetTagRequest struct {
	RunUUID string `json:"run_uuid,omitempty"`
	Key     string `json:"key"`
	Value   string `json:"value"`
	RunID   string `json:"run_id,omitempty"`
}

// DeleteTagRequest is the body of runs/delete-tag.
type DeleteTagRequest struct {
	RunID string `json:"run_id"`
	Key   string `json:"key"`
}

// LogBatchRequest is the body of runs/log-batch.
type LogBatchRequest struct {
	RunID   string   `json:"run_id"`
	Metrics []Metric `json:"metrics,omitempty"`
	Params  []Param  `json:"params,omitempty"`
	Tags    []RunTag `json:"tags,omitempty"`
}

// LogModelRequest is the body of runs/log-model; ModelJSON is the MLmodel
// file as a JSON string.
type LogModelRequest struct {
	RunID     string `json:"run_id"`
	ModelJSON string `json:"model_json"`
}

// LogInputsRequest is the body of runs/log-inputs.
type LogInputsRequest struct {
	RunID    string         `json:"run_id"`
	Datasets []DatasetInput `json:"datasets,omitempty"`
	// Models are logged models the run used (MLflow 3).
	Models []ModelInput `json:"models,omitempty"`
}

// SearchRunsRequest is the body of POST runs/search. RunViewType is
// ACTIVE_ONLY, DELETED_ONLY or ALL.
type SearchRunsRequest struct {
	ExperimentIDs []string `json:"experiment_ids,omitempty"`
	Filter        string   `json:"filter"`
	RunViewType   string   `json:"run_view_type,omitempty"`
	MaxResults    Int64    `json:"max_results,omitempty"`
	OrderBy       []string `json:"order_by,omitempty"`
	PageToken     string   `json:"page_token,omitempty"`
}

// SearchRunsResponse answers runs/search.
type SearchRunsResponse struct {
	Runs          []Run  `json:"runs,omitempty"`
	NextPageToken string `json:"next_page_token,omitempty"`
}

// GetMetricHistoryRequest is the query of GET metrics/get-history.
type GetMetricHistoryRequest struct {
	RunID      string `json:"run_id,omitempty"`
	RunUUID    string `json:"run_uuid,omitempty"`
	MetricKey  string `json:"metric_key"`
	PageToken  string `json:"page_token,omitempty"`
	MaxResults Int64  `json:"max_results,omitempty"`
}

// GetMetricHistoryResponse answers metrics/get-history; an unknown key gives
// {}.
type GetMetricHistoryResponse struct {
	Metrics       []Metric `json:"metrics,omitempty"`
	NextPageToken string   `json:"next_page_token,omitempty"`
}

// ListArtifactsResponse answers GET mlflow-artifacts/artifacts. A missing
// directory or a file path gives {}.
type ListArtifactsResponse struct {
	Files []FileInfo `json:"files,omitempty"`
}
