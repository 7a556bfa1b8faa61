package mlflowrest

// MLflow 3's logged models (service.proto's LoggedModel messages) and the
// run inputs and outputs that name them.

// LoggedModel is a logged model: its info and its data.
type LoggedModel struct {
	Info LoggedModelInfo `json:"info"`
	Data LoggedModelData `json:"data"`
}

// LoggedModelInfo is a logged model's metadata. Status is an enum name
// such as LOGGED_MODEL_READY; tags are ordered by key.
type LoggedModelInfo struct {
	ModelID                string           `json:"model_id"`
	ExperimentID           string           `json:"experiment_id"`
	Name                   string           `json:"name"`
	CreationTimestampMS    int64            `json:"creation_timestamp_ms"`
	LastUpdatedTimestampMS int64            `json:"last_updated_timestamp_ms"`
	ArtifactURI            string           `json:"artifact_uri"`
	Status                 string           `json:"status"`
	StatusMessage          string           `json:"status_message,omitempty"`
	ModelType              string           `json:"model_type"`
	SourceRunID            string           `json:"source_run_id"`
	Tags                   []LoggedModelTag `json:"tags,omitempty"`
}

// LoggedModelData holds a model's params (by key) and metrics (as logged);
// each list is omitted when empty.
type LoggedModelData struct {
	Params  []LoggedModelParam  `json:"params,omitempty"`
	Metrics []LoggedModelMetric `json:"metrics,omitempty"`
}

// LoggedModelTag is a key/value tag on a logged model.
type LoggedModelTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// LoggedModelParam is a logged model's param.
type LoggedModelParam struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// LoggedModelMetric is a metric value on a logged model, with the run that
// logged it and the dataset it was measured on.
type LoggedModelMetric struct {
	Key           string  `json:"key"`
	Value         Float64 `json:"value"`
	Timestamp     Int64   `json:"timestamp"`
	Step          Int64   `json:"step"`
	DatasetName   string  `json:"dataset_name,omitempty"`
	DatasetDigest string  `json:"dataset_digest,omitempty"`
	ModelID       string  `json:"model_id,omitempty"`
	RunID         string  `json:"run_id,omitempty"`
}

// LoggedModelResponse answers logged-models create, get and finalize.
type LoggedModelResponse struct {
	Model LoggedModel `json:"model"`
}

// CreateLoggedModelRequest is the body of POST logged-models.
type CreateLoggedModelRequest struct {
	ExperimentID string             `json:"experiment_id"`
	Name         string             `json:"name,omitempty"`
	ModelType    string             `json:"model_type,omitempty"`
	SourceRunID  string             `json:"source_run_id,omitempty"`
	Params       []LoggedModelParam `json:"params,omitempty"`
	Tags         []LoggedModelTag   `json:"tags,omitempty"`
}

// Validate reports a missing experiment_id.
func (r CreateLoggedModelRequest) Validate() error {
	if r.ExperimentID == "" {
		return missing("experiment_id")
	}
	return nil
}

// FinalizeLoggedModelRequest is the body of PATCH logged-models/{id}.
type FinalizeLoggedModelRequest struct {
	ModelID string `json:"model_id,omitempty"`
	Status  string `json:"status"`
}

// Validate reports a missing status.
func (r FinalizeLoggedModelRequest) Validate() error {
	if r.Status == "" {
		return missing("status")
	}
	return nil
}

// SetLoggedModelTagsRequest is the body of PATCH logged-models/{id}/tags.
type SetLoggedModelTagsRequest struct {
	ModelID string           `json:"model_id,omitempty"`
	Tags    []LoggedModelTag `json:"tags,omitempty"`
}

// LogLoggedModelParamsRequest is the body of POST logged-models/{id}/params.
type LogLoggedModelParamsRequest struct {
	ModelID string             `json:"model_id,omitempty"`
	Params  []LoggedModelParam `json:"params,omitempty"`
}

// SearchLoggedModelsRequest is the body of POST logged-models/search.
type SearchLoggedModelsRequest struct {
	ExperimentIDs []string                   `json:"experiment_ids,omitempty"`
	Filter        string                     `json:"filter,omitempty"`
	Datasets      []LoggedModelDatasetFilter `json:"datasets,omitempty"`
	MaxResults    *int                       `json:"max_results,omitempty"`
	OrderBy       []LoggedModelOrderBy       `json:"order_by,omitempty"`
	PageToken     string                     `json:"page_token,omitempty"`
}

// LoggedModelDatasetFilter restricts metric filters and ordering to
// values logged on a dataset.
type LoggedModelDatasetFilter struct {
	DatasetName   string `json:"dataset_name"`
	DatasetDigest string `json:"dataset_digest,omitempty"`
}

// LoggedModelOrderBy is one order_by entry of logged-models/search.
// Ascending defaults to true, as in MLflow's proto.
type LoggedModelOrderBy struct {
	FieldName     string `json:"field_name"`
	Ascending     *bool  `json:"ascending,omitempty"`
	DatasetName   string `json:"dataset_name,omitempty"`
	DatasetDigest string `json:"dataset_digest,omitempty"`
}

// SearchLoggedModelsResponse answers logged-models/search. Models is an
// empty list, not omitted, when nothing matches.
type SearchLoggedModelsResponse struct {
	Models        []LoggedModel `json:"models"`
	NextPageToken string        `json:"next_page_token,omitempty"`
}

// ModelInput is a logged model a run used.
type ModelInput struct {
	ModelID string `json:"model_id"`
}

// ModelOutput is a logged model a run produced, at a step.
type ModelOutput struct {
	ModelID string `json:"model_id"`
	Step    Int64  `json:"step"`
}

// RunOutputs holds the logged models a run produced.
type RunOutputs struct {
	ModelOutputs []ModelOutput `json:"model_outputs,omitempty"`
}

// LogOutputsRequest is the body of runs/outputs.
type LogOutputsRequest struct {
	RunID  string        `json:"run_id"`
	Models []ModelOutput `json:"models,omitempty"`
}

// Validate reports a missing run_id.
func (r LogOutputsRequest) Validate() error {
	if r.RunID == "" {
		return missing("run_id")
	}
	return nil
}
