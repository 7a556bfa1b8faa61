package evaluate

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
)

// Tags of an evaluation run.
const (
	TagModel        = "berth.evaluation.model"         // the model as given: a directory or models:/ URI
	TagModelName    = "berth.evaluation.model_name"    // a registered model's name
	TagModelVersion = "berth.evaluation.model_version" // and its version
	TagValidation   = "berth.evaluation.validation"    // passed or failed, when there were thresholds
	TagData         = "berth.evaluation.data"          // the data file's base name
	TagTarget       = "berth.evaluation.target"
	TagModelType    = "berth.evaluation.model_type"
)

// Run is an evaluation to log to an MLflow run: its metrics, what was
// evaluated (as tags) and its artifacts.
type Run struct {
	// Experiment holds the new run, when RunID is "".
	Experiment string
	// RunID is an existing run to log into instead (a second evaluation
	// may go to the same run: what was evaluated goes into tags, not
	// params, which cannot change).
	RunID string
	// RunName names the new run; Source is its mlflow.source.name.
	RunName, Source string

	// Model is the model as given; ModelName and ModelVersion name a
	// registered version ("" for a directory).
	Model, ModelName, ModelVersion string
	Data                           Data
	Result                         *Result
	// Thresholds and Validation (nil: passed) tag the run passed or
	// failed, when there are thresholds.
	Thresholds map[string]MetricThreshold
	Validation error
	// Dir holds the Artifacts (WriteArtifacts's files), uploaded through
	// the registry's artifact proxy.
	Dir       string
	Artifacts []string
	// Tags are more tags to set.
	Tags []mlflowrest.RunTag
}

// LogRun logs r to a new run in r.Experiment, or to r.RunID, finishes a
// run it created, and returns the run's id.
func LogRun(ctx context.Context, c *mlflowrest.Client, r Run) (string, error) {
	tags := append([]mlflowrest.RunTag{{Key: TagModel, Value: r.Model}}, r.Tags...)
	if r.ModelName != "" {
		tags = append(tags, mlflowrest.RunTag{Key: TagModelName, Value: r.ModelName},
			mlflowrest.RunTag{Key: TagModelVersion, Value: r.ModelVersion})
	}
	if len(r.Thresholds) > 0 {
		status := "passed"
		if r.Validation != nil {
			status = "failed"
		}
		tags = append(tags, mlflowrest.RunTag{Key: TagValidation, Value: status})
	}
	runID, created := r.RunID, false
	var artifactURI string
	if runID == "" {
		expID, err := c.EnsureExperiment(ctx, r.Experiment)
		if err != nil {
			return "", fmt.Errorf("logging the evaluation: %w", err)
		}
		var run mlflowrest.RunResponse
		if err := c.Post(ctx, "runs/create", mlflowrest.CreateRunRequest{ExperimentID: expID, RunName: r.RunName,
			StartTime: mlflowrest.Int64(time.Now().UnixMilli()),
			Tags:      []mlflowrest.RunTag{{Key: "mlflow.source.name", Value: r.Source}}}, &run); err != nil {
			return "", fmt.Errorf("logging the evaluation: creating a run: %w", err)
		}
		runID, artifactURI, created = run.Run.Info.RunID, run.Run.Info.ArtifactURI, true
	} else {
		var run mlflowrest.RunResponse
		if err := c.Get(ctx, "runs/get", url.Values{"run_id": {runID}}, &run); err != nil {
			return "", fmt.Errorf("logging the evaluation to run %s: %w", runID, err)
		}
		artifactURI = run.Run.Info.ArtifactURI
	}
	now := mlflowrest.Int64(time.Now().UnixMilli())
	tags = append(tags, mlflowrest.RunTag{Key: TagData, Value: filepath.Base(r.Data.Path)},
		mlflowrest.RunTag{Key: TagTarget, Value: r.Data.Target}, mlflowrest.RunTag{Key: TagModelType, Value: string(r.Data.ModelType)})
	batch := mlflowrest.LogBatchRequest{RunID: runID, Tags: tags}
	for k, v := range r.Result.Metrics {
		batch.Metrics = append(batch.Metrics, mlflowrest.Metric{Key: k, Value: mlflowrest.Float64(v), Timestamp: now})
	}
	if err := c.Post(ctx, "runs/log-batch", batch, nil); err != nil {
		return "", fmt.Errorf("logging the evaluation to run %s: %w", runID, err)
	}
	if len(r.Artifacts) > 0 {
		root, ok := strings.CutPrefix(strings.TrimRight(artifactURI, "/"), "mlflow-artifacts:/")
		if !ok {
			return "", fmt.Errorf("logging the evaluation: run %s's artifact URI %q is not served by the registry's artifact proxy", runID, artifactURI)
		}
		root = strings.TrimLeft(root, "/")
		for _, f := range r.Artifacts {
			if err := c.PutArtifactFile(ctx, root+"/"+f, filepath.Join(r.Dir, f)); err != nil {
				return "", fmt.Errorf("logging the evaluation: %w", err)
			}
		}
	}
	if created {
		end := mlflowrest.Int64(time.Now().UnixMilli())
		if err := c.Post(ctx, "runs/update", mlflowrest.UpdateRunRequest{RunID: runID, Status: "FINISHED", EndTime: &end}, nil); err != nil {
			return "", fmt.Errorf("logging the evaluation: finishing run %s: %w", runID, err)
		}
	}
	return runID, nil
}
