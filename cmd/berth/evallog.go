package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
)

// evalRun says where an evaluation is logged.
type evalRun struct {
	experiment, runID, runName string
	model                      *localModel
	rec                        *evalRecord
	dir                        string // holds rec.Artifacts
	tags                       []mlflowrest.RunTag
}

// Tags of an evaluation run.
const (
	tagEvalModel        = "berth.evaluation.model"
	tagEvalModelName    = "berth.evaluation.model_name"
	tagEvalModelVersion = "berth.evaluation.model_version"
	tagEvalValidation   = "berth.evaluation.validation"
	tagEvalData         = "berth.evaluation.data"
	tagEvalTarget       = "berth.evaluation.target"
	tagEvalModelType    = "berth.evaluation.model_type"
)

// logEvaluation logs an evaluation's parameters, metrics and artifacts to
// a new run in r.experiment, or to r.runID, and returns the run's id.
func logEvaluation(ctx context.Context, c *mlflowrest.Client, r evalRun) (string, error) {
	rec := r.rec
	tags := append([]mlflowrest.RunTag{{Key: tagEvalModel, Value: rec.Model}}, r.tags...)
	if v := r.model.version; v != nil {
		tags = append(tags, mlflowrest.RunTag{Key: tagEvalModelName, Value: v.Name},
			mlflowrest.RunTag{Key: tagEvalModelVersion, Value: v.Version})
	}
	if len(rec.Thresholds) > 0 {
		status := "passed"
		if rec.Validation != nil {
			status = "failed"
		}
		tags = append(tags, mlflowrest.RunTag{Key: tagEvalValidation, Value: status})
	}
	runID, created := r.runID, false
	var artifactURI string
	if runID == "" {
		expID, err := c.EnsureExperiment(ctx, r.experiment)
		if err != nil {
			return "", fmt.Errorf("logging the evaluation: %w", err)
		}
		name := r.runName
		if name == "" {
			name = "evaluate-" + modelLabel(r.model)
		}
		var run mlflowrest.RunResponse
		if err := c.Post(ctx, "runs/create", mlflowrest.CreateRunRequest{ExperimentID: expID, RunName: name,
			StartTime: mlflowrest.Int64(time.Now().UnixMilli()),
			Tags:      []mlflowrest.RunTag{{Key: "mlflow.source.name", Value: "berth evaluate"}}}, &run); err != nil {
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
	// What was evaluated goes into tags, not params: params cannot change,
	// and --run-id may log a second evaluation into the same run.
	tags = append(tags, mlflowrest.RunTag{Key: tagEvalData, Value: filepath.Base(rec.Data)},
		mlflowrest.RunTag{Key: tagEvalTarget, Value: rec.Target}, mlflowrest.RunTag{Key: tagEvalModelType, Value: string(rec.ModelType)})
	batch := mlflowrest.LogBatchRequest{RunID: runID, Tags: tags}
	for k, v := range rec.Result.Metrics {
		batch.Metrics = append(batch.Metrics, mlflowrest.Metric{Key: k, Value: mlflowrest.Float64(v), Timestamp: now})
	}
	if err := c.Post(ctx, "runs/log-batch", batch, nil); err != nil {
		return "", fmt.Errorf("logging the evaluation to run %s: %w", runID, err)
	}
	if len(rec.Artifacts) > 0 {
		root, ok := strings.CutPrefix(strings.TrimRight(artifactURI, "/"), "mlflow-artifacts:/")
		if !ok {
			return "", fmt.Errorf("logging the evaluation: run %s's artifact URI %q is not served by the registry's artifact proxy", runID, artifactURI)
		}
		root = strings.TrimLeft(root, "/")
		for _, f := range rec.Artifacts {
			if err := c.PutArtifactFile(ctx, root+"/"+f, filepath.Join(r.dir, f)); err != nil {
				return "", fmt.Errorf("logging the evaluation: %w", err)
			}
		}
	}
	if created {
		if err := c.Post(ctx, "runs/update", mlflowrest.UpdateRunRequest{RunID: runID, Status: "FINISHED",
			EndTime: ptrTo(mlflowrest.Int64(time.Now().UnixMilli()))}, nil); err != nil {
			return "", fmt.Errorf("logging the evaluation: finishing run %s: %w", runID, err)
		}
	}
	return runID, nil
}

func ptrTo[T any](v T) *T { return &v }

// modelLabel names a model in run names: name-vN for a registry version,
// else the directory's base name.
func modelLabel(m *localModel) string {
	if v := m.version; v != nil {
		return v.Name + "-v" + v.Version
	}
	abs, err := filepath.Abs(m.dir)
	if err != nil {
		return filepath.Base(m.dir)
	}
	return filepath.Base(abs)
}
