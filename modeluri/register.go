package modeluri

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berthml/berth/api/mlflowrest"
)

// Registration says what Register does.
type Registration struct {
	Dir        string // the MLflow model directory to upload
	Name       string // the registered model's name
	Experiment string // experiment of the run that holds the files; default "berth-models"
	Progress   func(Progress)
}

// Register uploads a model directory to a registry the way MLflow's
// log_model + register_model do: a run in the experiment holds the files
// under artifacts/model, the registered model is created if need be, and a
// new version points at the run's files.
func Register(ctx context.Context, c *mlflowrest.Client, reg Registration) (*mlflowrest.ModelVersion, error) {
	if _, err := os.Stat(filepath.Join(reg.Dir, "MLmodel")); err != nil {
		return nil, fmt.Errorf("registering %s: not an MLflow model directory (no MLmodel file)", reg.Dir)
	}
	if reg.Experiment == "" {
		reg.Experiment = "berth-models"
	}
	expID, err := c.EnsureExperiment(ctx, reg.Experiment)
	if err != nil {
		return nil, fmt.Errorf("registering %s: %w", reg.Name, err)
	}
	var run mlflowrest.RunResponse
	if err := c.Post(ctx, "runs/create", mlflowrest.CreateRunRequest{
		ExperimentID: expID, RunName: "register-" + reg.Name,
		Tags: []mlflowrest.RunTag{{Key: "mlflow.source.name", Value: "berth models register"}},
	}, &run); err != nil {
		return nil, fmt.Errorf("registering %s: creating a run: %w", reg.Name, err)
	}
	runID, artifactURI := run.Run.Info.RunID, strings.TrimRight(run.Run.Info.ArtifactURI, "/")
	root, ok := strings.CutPrefix(artifactURI, "mlflow-artifacts:/")
	if !ok {
		return nil, fmt.Errorf("registering %s: the run's artifact URI %q is not served by the registry's artifact proxy", reg.Name, artifactURI)
	}
	if err := upload(ctx, c, reg, strings.TrimLeft(root, "/")+"/model"); err != nil {
		return nil, fmt.Errorf("registering %s: %w", reg.Name, err)
	}
	if err := c.Post(ctx, "runs/update", mlflowrest.UpdateRunRequest{RunID: runID, Status: "FINISHED"}, nil); err != nil {
		return nil, fmt.Errorf("registering %s: finishing run %s: %w", reg.Name, runID, err)
	}
	var rm mlflowrest.RegisteredModelResponse
	err = c.Post(ctx, "registered-models/create", mlflowrest.CreateRegisteredModelRequest{Name: reg.Name}, &rm)
	var apiErr *mlflowrest.ErrorResponse
	if err != nil && !(errors.As(err, &apiErr) && apiErr.ErrorCode == "RESOURCE_ALREADY_EXISTS") {
		return nil, fmt.Errorf("registering %s: %w", reg.Name, err)
	}
	var mv mlflowrest.ModelVersionResponse
	if err := c.Post(ctx, "model-versions/create", mlflowrest.CreateModelVersionRequest{
		Name: reg.Name, Source: artifactURI + "/model", RunID: runID,
	}, &mv); err != nil {
		return nil, fmt.Errorf("registering %s: creating the version: %w", reg.Name, err)
	}
	return &mv.ModelVersion, nil
}

// upload puts every regular file of reg.Dir under the artifact path root.
func upload(ctx context.Context, c *mlflowrest.Client, reg Registration, root string) error {
	type file struct {
		rel  string
		size int64
	}
	var files []file
	var total int64
	err := filepath.WalkDir(reg.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(reg.Dir, p)
		if err != nil {
			return err
		}
		files = append(files, file{filepath.ToSlash(rel), info.Size()})
		total += info.Size()
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading %s: %w", reg.Dir, err)
	}
	pr := Progress{TotalFiles: len(files), TotalBytes: total}
	for _, f := range files {
		if err := c.PutArtifactFile(ctx, root+"/"+f.rel, filepath.Join(reg.Dir, filepath.FromSlash(f.rel))); err != nil {
			return err
		}
		if reg.Progress != nil {
			pr.File, pr.Files, pr.Bytes = f.rel, pr.Files+1, pr.Bytes+f.size
			reg.Progress(pr)
		}
	}
	return nil
}
