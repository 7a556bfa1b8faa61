package mlflowrest

// Experiment is an MLflow experiment. Tags is omitted when empty.
type Experiment struct {
	ExperimentID     string          `json:"experiment_id"`
	Name             string          `json:"name"`
	ArtifactLocation string          `json:"artifact_location"`
	LifecycleStage   string          `json:"lifecycle_stage"`
	LastUpdateTime   int64           `json:"last_update_time"`
	CreationTime     int64           `json:"creation_time"`
	Tags             []ExperimentTag `json:"tags,omitempty"`
}

// ExperimentTag is a key/value tag on an experiment.
type ExperimentTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Run is an MLflow run: its info, its data (latest metrics, params, tags) and
// its inputs. Inputs is nil (omitted) in runs/create answers and an empty
// object in runs/get and runs/search answers.
type Run struct {
	Info   RunInfo    `json:"info"`
	Data   RunData    `json:"data"`
	Inputs *RunInputs `json:"inputs,omitempty"`
	// Outputs is the logged models the run produced (MLflow 3); like
	// Inputs, present in runs/get and runs/search answers.
	Outputs *RunOutputs `json:"outputs,omitempty"`
}

// RunInfo is a run's metadata. MLflow sends the id twice, as run_id and the
// deprecated run_uuid. EndTime is omitted while the run has none.
type RunInfo struct {
	RunUUID        string `json:"run_uuid"`
	ExperimentID   string `json:"experiment_id"`
	RunName        string `json:"run_name"`
	UserID         string `json:"user_id"`
	Status         string `json:"status"`
	StartTime      int64  `json:"start_time"`
	EndTime        *int64 `json:"end_time,omitempty"`
	ArtifactURI    string `json:"artifact_uri"`
	LifecycleStage string `json:"lifecycle_stage"`
	RunID          string `json:"run_id"`
}

// RunData holds the latest value of each metric, the params and the tags of
// a run; each list is omitted when empty.
type RunData struct {
	Metrics []Metric `json:"metrics,omitempty"`
	Params  []Param  `json:"params,omitempty"`
	Tags    []RunTag `json:"tags,omitempty"`
}

// RunInputs holds the datasets a run consumed.
type RunInputs struct {
	DatasetInputs []DatasetInput `json:"dataset_inputs,omitempty"`
	ModelInputs   []ModelInput   `json:"model_inputs,omitempty"`
}

// Metric is one logged metric value.
type Metric struct {
	Key       string  `json:"key"`
	Value     Float64 `json:"value"`
	Timestamp Int64   `json:"timestamp"`
	Step      Int64   `json:"step"`
	// ModelID, DatasetName and DatasetDigest tie a value logged by an
	// MLflow 3 client to a logged model (requests only).
	ModelID       string `json:"model_id,omitempty"`
	DatasetName   string `json:"dataset_name,omitempty"`
	DatasetDigest string `json:"dataset_digest,omitempty"`
}

// Param is a run parameter. An absent value decodes as "".
type Param struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// RunTag is a key/value tag on a run.
type RunTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// InputTag is a key/value tag on a dataset input (for example
// mlflow.data.context).
type InputTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Dataset describes a dataset a run used.
type Dataset struct {
	Name       string `json:"name"`
	Digest     string `json:"digest"`
	SourceType string `json:"source_type"`
	Source     string `json:"source"`
	Schema     string `json:"schema,omitempty"`
	Profile    string `json:"profile,omitempty"`
}

// DatasetInput is a dataset together with the tags of its use by a run.
type DatasetInput struct {
	Tags    []InputTag `json:"tags,omitempty"`
	Dataset Dataset    `json:"dataset"`
}

// RegisteredModel is a model in the registry. LatestVersions holds the latest
// version per stage. Description, LatestVersions, Tags and Aliases are
// omitted when empty.
type RegisteredModel struct {
	Name                 string                 `json:"name"`
	CreationTimestamp    int64                  `json:"creation_timestamp"`
	LastUpdatedTimestamp int64                  `json:"last_updated_timestamp"`
	UserID               string                 `json:"user_id,omitempty"`
	Description          string                 `json:"description,omitempty"`
	LatestVersions       []ModelVersion         `json:"latest_versions,omitempty"`
	Tags                 []RegisteredModelTag   `json:"tags,omitempty"`
	Aliases              []RegisteredModelAlias `json:"aliases,omitempty"`
}

// RegisteredModelTag is a key/value tag on a registered model.
type RegisteredModelTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// RegisteredModelAlias points an alias of a registered model at a version.
type RegisteredModelAlias struct {
	Alias   string `json:"alias"`
	Version string `json:"version"`
}

// ModelVersion is one version of a registered model. Description and RunLink
// are always present (possibly ""); UserID, StatusMessage, Tags and Aliases
// are omitted when empty.
type ModelVersion struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	CreationTimestamp    int64             `json:"creation_timestamp"`
	LastUpdatedTimestamp int64             `json:"last_updated_timestamp"`
	UserID               string            `json:"user_id,omitempty"`
	CurrentStage         string            `json:"current_stage"`
	Description          string            `json:"description"`
	Source               string            `json:"source"`
	RunID                string            `json:"run_id"`
	Status               string            `json:"status"`
	StatusMessage        string            `json:"status_message,omitempty"`
	Tags                 []ModelVersionTag `json:"tags,omitempty"`
	RunLink              string            `json:"run_link"`
	Aliases              []string          `json:"aliases,omitempty"`
}

// ModelVersionTag is a key/value tag on a model version.
type ModelVersionTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// FileInfo is one entry of an artifact listing. FileSize is omitted for
// directories.
type FileInfo struct {
	Path     string `json:"path"`
	IsDir    bool   `json:"is_dir"`
	FileSize *int64 `json:"file_size,omitempty"`
}
