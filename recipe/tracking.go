package recipe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
)

// Tags and artifact of the recipe-level run that Record logs: the web UI
// lists runs tagged TagRecipeRun=true and draws the graph and cards from
// CardsArtifact.
const (
	TagRecipeRun    = "berth.recipe.run"
	TagRecipe       = "berth.recipe"
	TagRecipeModel  = "berth.recipe.model_name"
	TagRecipeStatus = "berth.recipe.status"
	TagRecipeGraph  = "berth.recipe.graph"
	CardsArtifact   = "recipe/cards.json"
)

// Report is CardsArtifact: the recipe, every step in order (with its kind)
// and the cards of the steps this run went through. A step with no card
// did not run (an earlier one failed, or --step stopped before it).
type Report struct {
	Recipe     string      `json:"recipe"`
	ModelName  string      `json:"model_name"`
	ModelType  string      `json:"model_type"`
	TargetCol  string      `json:"target_col"`
	Profile    string      `json:"profile,omitempty"`
	Experiment string      `json:"experiment,omitempty"`
	Dir        string      `json:"dir"`
	Status     string      `json:"status"` // ok, failed
	Error      string      `json:"error,omitempty"`
	Steps      []StepEntry `json:"steps"`
}

// StepEntry is one step of a Report.
type StepEntry struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	EntryPoint string `json:"entry_point,omitempty"`
	// Status is ok, cached, failed or skipped (not run this time).
	Status string `json:"status"`
	Card   *Card  `json:"card,omitempty"`
}

// NewReport builds the Report of one Run: cards are what Run returned,
// runErr its error.
func NewReport(rec *Recipe, cards []*Card, runErr error) *Report {
	r := &Report{Recipe: rec.Template, ModelName: rec.ModelName, ModelType: rec.ModelType, TargetCol: rec.TargetCol,
		Profile: rec.Profile, Experiment: rec.Experiment, Dir: rec.Dir, Status: "ok"}
	if runErr != nil {
		r.Status, r.Error = "failed", runErr.Error()
	}
	byName := map[string]*Card{}
	for _, c := range cards {
		byName[c.Step] = c
	}
	for _, s := range rec.Steps {
		e := StepEntry{Name: s.Name, Kind: s.Kind, EntryPoint: s.EntryPoint, Status: "skipped"}
		if c := byName[s.Name]; c != nil {
			e.Card, e.Status = c, c.Status
			if c.Cached {
				e.Status = "cached"
			}
		}
		r.Steps = append(r.Steps, e)
	}
	return r
}

// Record logs one recipe run to the tracking server as a run of its own
// (MLflow-shaped: tags, and the Report as the artifact CardsArtifact), so
// that the web UI can show the graph and cards. It returns the run's id;
// with no registry it does nothing.
func (rn *Runner) Record(ctx context.Context, rec *Recipe, cards []*Card, runErr error) (string, error) {
	if rn.registry == "" {
		return "", nil
	}
	c := &mlflowrest.Client{BaseURL: rn.registry, Token: rn.token}
	exp := rec.Experiment
	if exp == "" {
		exp = "Default"
	}
	expID, err := c.EnsureExperiment(ctx, exp)
	if err != nil {
		return "", fmt.Errorf("recording the recipe run: %w", err)
	}
	rep := NewReport(rec, cards, runErr)
	names := make([]string, len(rec.Steps))
	for i, s := range rec.Steps {
		names[i] = s.Name
	}
	now := rn.now()
	tags := []mlflowrest.RunTag{{Key: TagRecipeRun, Value: "true"}, {Key: TagRecipe, Value: rec.Template},
		{Key: TagRecipeModel, Value: rec.ModelName}, {Key: TagRecipeStatus, Value: rep.Status},
		{Key: TagRecipeGraph, Value: strings.Join(names, " -> ")}, {Key: "mlflow.runName", Value: "recipe " + rec.ModelName},
		{Key: "mlflow.source.name", Value: rec.Dir}}
	var created mlflowrest.RunResponse
	if err := c.Post(ctx, "runs/create", mlflowrest.CreateRunRequest{ExperimentID: expID, RunName: "recipe " + rec.ModelName,
		StartTime: mlflowrest.Int64(now.UnixMilli()), Tags: tags}, &created); err != nil {
		return "", fmt.Errorf("recording the recipe run: %w", err)
	}
	id := created.Run.Info.RunID
	if id == "" {
		id = created.Run.Info.RunUUID
	}
	status := "FINISHED"
	if runErr != nil {
		status = "FAILED"
	}
	var errs []error
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		errs = append(errs, err)
	} else if root, err := mlflowrest.ArtifactProxyPath(created.Run.Info.ArtifactURI); err != nil {
		errs = append(errs, err)
	} else if err := c.PutArtifact(ctx, root+"/"+CardsArtifact, bytes.NewReader(b)); err != nil {
		errs = append(errs, fmt.Errorf("uploading the recipe's cards: %w", err))
	}
	if len(errs) > 0 {
		status = "FAILED"
	}
	end := mlflowrest.Int64(time.Now().UnixMilli())
	if err := c.Post(ctx, "runs/update", mlflowrest.UpdateRunRequest{RunUUID: id, RunID: id, Status: status, EndTime: &end}, nil); err != nil {
		errs = append(errs, fmt.Errorf("ending the recipe run %s: %w", id, err))
	}
	return id, errors.Join(errs...)
}
