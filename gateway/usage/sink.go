package usage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/tracking"
)

// RESTSink writes through MLflow's REST API (berth gateway
// --tracking-uri URL).
type RESTSink struct{ C *mlflowrest.Client }

var _ Sink = RESTSink{}

// EnsureExperiment finds or creates the experiment.
func (s RESTSink) EnsureExperiment(ctx context.Context, name string) (string, error) {
	return s.C.EnsureExperiment(ctx, name)
}

// CreateRun creates a run.
func (s RESTSink) CreateRun(ctx context.Context, experimentID, name string, tags []tracking.Tag) (string, error) {
	req := mlflowrest.CreateRunRequest{ExperimentID: experimentID, RunName: name, StartTime: mlflowrest.Int64(time.Now().UnixMilli())}
	for _, t := range tags {
		req.Tags = append(req.Tags, mlflowrest.RunTag{Key: t.Key, Value: t.Value})
	}
	var created mlflowrest.RunResponse
	if err := s.C.Post(ctx, "runs/create", req, &created); err != nil {
		return "", err
	}
	return created.Run.Info.RunID, nil
}

// LogMetrics logs metrics in one runs/log-batch; a run that is gone is
// reported as tracking.ErrNotFound.
func (s RESTSink) LogMetrics(ctx context.Context, runID string, metrics []tracking.Metric) error {
	req := mlflowrest.LogBatchRequest{RunID: runID}
	for _, m := range metrics {
		req.Metrics = append(req.Metrics, mlflowrest.Metric{Key: m.Key, Value: mlflowrest.Float64(m.Value),
			Timestamp: mlflowrest.Int64(m.Timestamp), Step: mlflowrest.Int64(m.Step)})
	}
	err := s.C.Post(ctx, "runs/log-batch", req, nil)
	var apiErr *mlflowrest.ErrorResponse
	if errors.As(err, &apiErr) && apiErr.ErrorCode == mlflowrest.CodeResourceDoesNotExist {
		return fmt.Errorf("%w: %w", tracking.ErrNotFound, err)
	}
	return err
}

// FinishRun marks the run FINISHED at end.
func (s RESTSink) FinishRun(ctx context.Context, runID string, end time.Time) error {
	e := mlflowrest.Int64(end.UnixMilli())
	return s.C.Post(ctx, "runs/update", mlflowrest.UpdateRunRequest{RunID: runID, Status: string(tracking.RunFinished), EndTime: &e}, nil)
}

// Store is what StoreSink needs of a tracking store (tracking.Store has
// it).
type Store interface {
	GetExperimentByName(ctx context.Context, name string) (*tracking.Experiment, error)
	CreateExperiment(ctx context.Context, name, artifactLocation string, tags []tracking.Tag) (string, error)
	CreateRun(ctx context.Context, r tracking.CreateRun) (*tracking.Run, error)
	LogBatch(ctx context.Context, runID string, metrics []tracking.Metric, params []tracking.Param, tags []tracking.Tag) error
	UpdateRun(ctx context.Context, runID string, u tracking.RunUpdate) (*tracking.RunInfo, error)
}

// StoreSink writes straight into the tracking store of the server the
// gateway is mounted in (berth server --gateway-config).
type StoreSink struct{ S Store }

var _ Sink = StoreSink{}

// EnsureExperiment finds or creates the experiment (with the store's
// default artifact location).
func (s StoreSink) EnsureExperiment(ctx context.Context, name string) (string, error) {
	e, err := s.S.GetExperimentByName(ctx, name)
	if err == nil {
		return e.ID, nil
	}
	if !errors.Is(err, tracking.ErrNotFound) {
		return "", fmt.Errorf("finding experiment %q: %w", name, err)
	}
	id, err := s.S.CreateExperiment(ctx, name, "", nil)
	if err != nil {
		return "", fmt.Errorf("creating experiment %q: %w", name, err)
	}
	return id, nil
}

// CreateRun creates a run.
func (s StoreSink) CreateRun(ctx context.Context, experimentID, name string, tags []tracking.Tag) (string, error) {
	r, err := s.S.CreateRun(ctx, tracking.CreateRun{ExperimentID: experimentID, RunName: name, StartTime: time.Now().UnixMilli(), Tags: tags})
	if err != nil {
		return "", err
	}
	return r.Info.RunID, nil
}

// LogMetrics logs metrics in one batch.
func (s StoreSink) LogMetrics(ctx context.Context, runID string, metrics []tracking.Metric) error {
	return s.S.LogBatch(ctx, runID, metrics, nil, nil)
}

// FinishRun marks the run FINISHED at end.
func (s StoreSink) FinishRun(ctx context.Context, runID string, end time.Time) error {
	e := end.UnixMilli()
	_, err := s.S.UpdateRun(ctx, runID, tracking.RunUpdate{Status: tracking.RunFinished, EndTime: &e})
	return err
}
