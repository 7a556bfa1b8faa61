package tracking

import "context"

// LoggedModelStatus is the state of an MLflow 3 logged model, as the enum
// name MLflow's protos give it.
type LoggedModelStatus string

// Logged-model states.
const (
	LoggedModelPending LoggedModelStatus = "LOGGED_MODEL_PENDING"
	LoggedModelReady   LoggedModelStatus = "LOGGED_MODEL_READY"
	LoggedModelFailed  LoggedModelStatus = "LOGGED_MODEL_UPLOAD_FAILED"
)

// ParseLoggedModelStatus accepts the enum names MLflow's protos define.
func ParseLoggedModelStatus(s string) (LoggedModelStatus, bool) {
	switch st := LoggedModelStatus(s); st {
	case LoggedModelPending, LoggedModelReady, LoggedModelFailed:
		return st, true
	}
	return "", false
}

// LoggedModelIDPrefix starts every logged model's id: "m-" and 32 hex
// digits.
const LoggedModelIDPrefix = "m-"

// ModelVersionsTag is the logged-model tag listing the registered model
// versions made from it, a JSON list of {"name", "version"}.
const ModelVersionsTag = "mlflow.modelVersions"

// LoggedModel is MLflow 3's model entity: a model logged by a run (or on
// its own), with its own artifacts, params, tags and metrics. Tags and
// params are ordered by key; metrics in the order they were logged.
type LoggedModel struct {
	ModelID                string
	ExperimentID           string
	Name                   string
	ArtifactURI            string
	CreationTimestampMS    int64
	LastUpdatedTimestampMS int64
	Status                 LoggedModelStatus
	StatusMessage          string
	ModelType              string
	SourceRunID            string
	Tags                   []Tag
	Params                 []Param
	Metrics                []ModelMetric
}

// ModelMetric is a metric value logged against a logged model, by a run.
type ModelMetric struct {
	Metric
	ModelID       string
	RunID         string
	DatasetName   string
	DatasetDigest string
}

// CreateLoggedModel holds the fields of a new logged model.
type CreateLoggedModel struct {
	ExperimentID string
	Name         string
	ModelType    string
	SourceRunID  string
	Params       []Param
	Tags         []Tag
}

// RunModelOutput is a logged model a run produced, at a step.
type RunModelOutput struct {
	ModelID string
	Step    int64
}

// RunModels is the logged models a run used (inputs) and produced
// (outputs), each in the order first recorded.
type RunModels struct {
	Inputs  []string
	Outputs []RunModelOutput
}

// LoggedModelQuery selects logged models of some experiments. The filter
// comes from search.ParseLoggedModelFilter; the default order is
// creation_timestamp DESC, then model_id. Datasets restricts metric
// comparisons and metric ordering to values logged on those datasets.
type LoggedModelQuery struct {
	ExperimentIDs []string
	Filter        Filter
	OrderBy       []LoggedModelOrder
	MaxResults    int
	PageToken     string
	Datasets      []DatasetRef
}

// LoggedModelOrder is one order_by term of logged-models/search: a field
// (an attribute, or metrics.<key>) and, for a metric, the dataset the
// value was logged on.
type LoggedModelOrder struct {
	Kind          string // KindAttribute or KindMetric
	Key           string
	Asc           bool
	DatasetName   string
	DatasetDigest string
}

// DatasetRef names a dataset by name and optional digest.
type DatasetRef struct {
	Name   string
	Digest string
}

// LoggedModelPage is one page of logged models.
type LoggedModelPage struct {
	Models        []LoggedModel
	NextPageToken string
}

// MaxLoggedModelResults is the most models one logged-models/search page
// holds.
const MaxLoggedModelResults = 1000

// LoggedModelStore manages MLflow 3's logged models. It is separate from
// Store so that stores grow by interface; sqlstore implements both.
type LoggedModelStore interface {
	CreateLoggedModel(ctx context.Context, m CreateLoggedModel) (*LoggedModel, error)
	// GetLoggedModel answers RESOURCE_DOES_NOT_EXIST for a deleted model.
	GetLoggedModel(ctx context.Context, id string) (*LoggedModel, error)
	FinalizeLoggedModel(ctx context.Context, id string, status LoggedModelStatus) (*LoggedModel, error)
	DeleteLoggedModel(ctx context.Context, id string) error
	SetLoggedModelTags(ctx context.Context, id string, tags []Tag) error
	DeleteLoggedModelTag(ctx context.Context, id, key string) error
	// LogLoggedModelParams adds params; a key the model has is
	// BAD_REQUEST, as in MLflow.
	LogLoggedModelParams(ctx context.Context, id string, params []Param) error
	// LogModelMetrics records metric values against logged models (each
	// ModelMetric names its model and run).
	LogModelMetrics(ctx context.Context, ms []ModelMetric) error
	SearchLoggedModels(ctx context.Context, q LoggedModelQuery) (*LoggedModelPage, error)
	// LogRunModels records logged models as inputs or outputs of a run.
	LogRunModels(ctx context.Context, runID string, inputs []string, outputs []RunModelOutput) error
	// GetRunModels returns the logged models of each run, by run id (a
	// run with none is absent).
	GetRunModels(ctx context.Context, runIDs []string) (map[string]*RunModels, error)
	// UpdateLoggedModelTag sets a tag to what update returns for its
	// current value, atomically. update may be called more than once, so
	// it must depend only on its arguments and have no other effect.
	UpdateLoggedModelTag(ctx context.Context, id, key string, update func(old string, ok bool) (string, error)) error
}
