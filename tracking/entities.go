package tracking

// Lifecycle stages of experiments and runs.
const (
	LifecycleActive  = "active"
	LifecycleDeleted = "deleted"
)

// DefaultExperimentID is the id of the experiment every store creates on
// first open, named DefaultExperimentName.
const (
	DefaultExperimentID   = "0"
	DefaultExperimentName = "Default"
)

// Tag is a key/value tag on an experiment, a run, a registered model, a model
// version or a dataset input.
type Tag struct {
	Key   string
	Value string
}

// Experiment is an MLflow experiment.
type Experiment struct {
	ID               string
	Name             string
	ArtifactLocation string
	LifecycleStage   string
	CreationTime     int64 // epoch milliseconds
	LastUpdateTime   int64 // epoch milliseconds
	Tags             []Tag
}

// Run is a run with its data and inputs.
type Run struct {
	Info   RunInfo
	Data   RunData
	Inputs []DatasetInput
}

// RunInfo is a run's metadata. EndTime is nil while the run has none.
type RunInfo struct {
	RunID          string
	ExperimentID   string
	RunName        string
	UserID         string
	Status         RunStatus
	StartTime      int64
	EndTime        *int64
	ArtifactURI    string
	LifecycleStage string
}

// RunData holds the latest value of each metric (see LatestMetric), and a
// run's params and tags, each in the order they were first logged.
type RunData struct {
	Metrics []Metric
	Params  []Param
	Tags    []Tag
}

// Metric is one metric value. NaN and ±Inf are allowed; infinities are stored
// as ±math.MaxFloat64, as MLflow does.
type Metric struct {
	Key       string
	Value     float64
	Timestamp int64
	Step      int64
}

// Param is a run parameter; once logged its value cannot change.
type Param struct {
	Key   string
	Value string
}

// Dataset describes a dataset a run used. (Name, Digest) identifies it within
// an experiment.
type Dataset struct {
	Name       string
	Digest     string
	SourceType string
	Source     string
	Schema     string
	Profile    string
}

// DatasetInput is a dataset and the tags of its use by a run.
type DatasetInput struct {
	Tags    []Tag
	Dataset Dataset
}

// RegisteredModel is a model in the registry. LatestVersions holds the
// newest version in each stage, by version number.
type RegisteredModel struct {
	Name                 string
	CreationTimestamp    int64
	LastUpdatedTimestamp int64
	Description          string
	LatestVersions       []ModelVersion
	Tags                 []Tag
	Aliases              []Alias
}

// Alias points a registered model's alias at one of its versions.
type Alias struct {
	Alias   string
	Version string
}

// ModelVersion is one version of a registered model. Version is the decimal
// version number.
type ModelVersion struct {
	Name                 string
	Version              string
	CreationTimestamp    int64
	LastUpdatedTimestamp int64
	UserID               string
	CurrentStage         string
	Description          string
	Source               string
	RunID                string
	Status               string
	StatusMessage        string
	Tags                 []Tag
	RunLink              string
	Aliases              []string
}

// Model version statuses. Versions created by the store are READY at once.
const (
	ModelVersionPendingRegistration = "PENDING_REGISTRATION"
	ModelVersionFailedRegistration  = "FAILED_REGISTRATION"
	ModelVersionReady               = "READY"
)
