package tracking

import "context"

// Store persists experiments, runs and the model registry. Every method takes
// the request's context first. Domain failures are *Error values (check them
// with errors.Is against ErrNotFound, ErrAlreadyExists, ErrInvalidParameter
// or with CodeOf); any other error is an internal failure.
type Store interface {
	ExperimentStore
	RunStore
	RegistryStore
	// Close releases the store's connections.
	Close() error
}

// ExperimentStore manages experiments.
type ExperimentStore interface {
	// CreateExperiment creates an active experiment and returns its id. An
	// empty artifactLocation means <artifact root>/<id>.
	CreateExperiment(ctx context.Context, name, artifactLocation string, tags []Tag) (string, error)
	GetExperiment(ctx context.Context, id string) (*Experiment, error)
	// GetExperimentByName finds active and deleted experiments alike.
	GetExperimentByName(ctx context.Context, name string) (*Experiment, error)
	SearchExperiments(ctx context.Context, q ExperimentQuery) (*ExperimentPage, error)
	RenameExperiment(ctx context.Context, id, newName string) error
	DeleteExperiment(ctx context.Context, id string) error
	RestoreExperiment(ctx context.Context, id string) error
	SetExperimentTag(ctx context.Context, id string, tag Tag) error
	DeleteExperimentTag(ctx context.Context, id, key string) error
}

// RunStore manages runs and what they log.
type RunStore interface {
	CreateRun(ctx context.Context, r CreateRun) (*Run, error)
	GetRun(ctx context.Context, runID string) (*Run, error)
	UpdateRun(ctx context.Context, runID string, u RunUpdate) (*RunInfo, error)
	DeleteRun(ctx context.Context, runID string) error
	RestoreRun(ctx context.Context, runID string) error
	LogMetric(ctx context.Context, runID string, m Metric) error
	LogParam(ctx context.Context, runID string, p Param) error
	SetTag(ctx context.Context, runID string, t Tag) error
	// UpdateTag sets a run tag to what update returns for its current
	// value (ok false when it has none), atomically: concurrent updates of
	// the same run, from any number of servers, each see the one before.
	// update may be called more than once (a transaction the database
	// refused as deadlocked runs again), so it must depend only on its
	// arguments and have no other effect.
	UpdateTag(ctx context.Context, runID, key string, update func(old string, ok bool) (string, error)) error
	DeleteTag(ctx context.Context, runID, key string) error
	// LogBatch logs metrics, params and tags in one transaction: all or none.
	LogBatch(ctx context.Context, runID string, metrics []Metric, params []Param, tags []Tag) error
	LogInputs(ctx context.Context, runID string, inputs []DatasetInput) error
	SearchRuns(ctx context.Context, q RunQuery) (*RunPage, error)
	// GetMetricHistory returns every value of a metric, ordered by step,
	// then timestamp, then value.
	GetMetricHistory(ctx context.Context, runID, key string) ([]Metric, error)
}

// RegistryStore manages registered models, their versions and aliases.
type RegistryStore interface {
	CreateRegisteredModel(ctx context.Context, name, description string, tags []Tag) (*RegisteredModel, error)
	GetRegisteredModel(ctx context.Context, name string) (*RegisteredModel, error)
	RenameRegisteredModel(ctx context.Context, name, newName string) (*RegisteredModel, error)
	UpdateRegisteredModel(ctx context.Context, name, description string) (*RegisteredModel, error)
	DeleteRegisteredModel(ctx context.Context, name string) error
	SearchRegisteredModels(ctx context.Context, q ModelQuery) (*RegisteredModelPage, error)
	// GetLatestVersions returns the newest version in each of stages
	// (case-insensitive; empty means all stages), by version number.
	GetLatestVersions(ctx context.Context, name string, stages []string) ([]ModelVersion, error)
	SetRegisteredModelTag(ctx context.Context, name string, tag Tag) error
	DeleteRegisteredModelTag(ctx context.Context, name, key string) error
	SetRegisteredModelAlias(ctx context.Context, name, alias, version string) error
	// DeleteRegisteredModelAlias succeeds when the alias does not exist.
	DeleteRegisteredModelAlias(ctx context.Context, name, alias string) error
	GetModelVersionByAlias(ctx context.Context, name, alias string) (*ModelVersion, error)

	CreateModelVersion(ctx context.Context, v CreateModelVersion) (*ModelVersion, error)
	GetModelVersion(ctx context.Context, name, version string) (*ModelVersion, error)
	UpdateModelVersion(ctx context.Context, name, version, description string) (*ModelVersion, error)
	DeleteModelVersion(ctx context.Context, name, version string) error
	SearchModelVersions(ctx context.Context, q ModelQuery) (*ModelVersionPage, error)
	// TransitionModelVersionStage moves a version to stage; with
	// archiveExisting, the other versions in Staging or Production stage
	// move to Archived.
	TransitionModelVersionStage(ctx context.Context, name, version, stage string, archiveExisting bool) (*ModelVersion, error)
	SetModelVersionTag(ctx context.Context, name, version string, tag Tag) error
	DeleteModelVersionTag(ctx context.Context, name, version, key string) error
	GetModelVersionDownloadURI(ctx context.Context, name, version string) (string, error)
}

// CreateRun holds the fields of a new run. StartTime 0 means now. The run
// name falls back to the mlflow.runName tag, then to a generated name.
type CreateRun struct {
	ExperimentID string
	UserID       string
	RunName      string
	StartTime    int64
	Tags         []Tag
}

// RunUpdate changes a run. Zero fields are left unchanged. The HTTP layer
// drops an unknown status name (MLflow answers 200 and keeps the status);
// the store rejects one with INVALID_PARAMETER_VALUE.
type RunUpdate struct {
	Status  RunStatus
	EndTime *int64
	RunName string
}

// CreateModelVersion holds the fields of a new model version.
type CreateModelVersion struct {
	Name        string
	Source      string
	RunID       string
	Tags        []Tag
	RunLink     string
	Description string
}

// ExperimentQuery selects experiments. MaxResults must be positive.
// Filter comparisons are on attributes name, creation_time and
// last_update_time and on tags; the default order is creation_time DESC,
// then experiment_id ASC, as in MLflow.
type ExperimentQuery struct {
	ViewType   ViewType
	MaxResults int
	PageToken  string
	Filter     Filter
	OrderBy    []OrderBy
}

// ExperimentPage is one page of experiments.
type ExperimentPage struct {
	Experiments   []Experiment
	NextPageToken string
}

// RunQuery selects runs of some experiments. The default order is start_time
// DESC, then run_id.
type RunQuery struct {
	ExperimentIDs []string
	Filter        Filter
	ViewType      ViewType
	MaxResults    int
	OrderBy       []OrderBy
	PageToken     string
}

// RunPage is one page of runs.
type RunPage struct {
	Runs          []Run
	NextPageToken string
}

// ModelQuery selects registered models or model versions.
type ModelQuery struct {
	Filter     Filter
	MaxResults int
	OrderBy    []OrderBy
	PageToken  string
}

// RegisteredModelPage is one page of registered models.
type RegisteredModelPage struct {
	RegisteredModels []RegisteredModel
	NextPageToken    string
}

// ModelVersionPage is one page of model versions.
type ModelVersionPage struct {
	ModelVersions []ModelVersion
	NextPageToken string
}

// Search limits, as in MLflow.
const (
	MaxRunResults             = 50000
	MaxExperimentResults      = 50000
	MaxRegisteredModelResults = 1000
	MaxModelVersionResults    = 200000
)
