//go:build !servingonly

package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/berthml/berth/evaluate"
)

// runEvaluateLLMModel is berth evaluate of an LLM model type whose outputs
// a model makes: a served model (--model-url), or MODEL, a directory or a
// models:/ or prompts:/ URI of a promptlab model, loaded here. --baseline
// (a directory, URI or scoring URL) is scored the same way for the change
// checks.
func runEvaluateLLMModel(ctx context.Context, stdout io.Writer, model string, o *evaluateOptions, log *slog.Logger) error {
	e, err := o.served.Evaluation(model, o.data, o.llm)
	if err != nil {
		return err
	}
	if err := o.checkLLM(&e, o.baseline != "", "--baseline"); err != nil {
		return err
	}
	doneJudging, err := o.judge.Apply(&e, o.llm) // --extra-metrics grade the model's outputs too
	if err != nil {
		return err
	}
	defer doneJudging()
	e.ArtifactDir = o.artifacts
	e.ModelName = cmp.Or(model, o.served.URL)
	m, err := o.served.Open(ctx, &o.src.Source, e.ModelName, log)
	if err != nil {
		return err
	}
	defer m.Close()
	e.Model, e.ModelInputs = m.Model, m.Inputs
	e.Run = evaluate.Run{Experiment: o.experiment, RunID: o.runID, RunName: cmp.Or(o.runName, "evaluate-"+m.Label),
		Source: "berth evaluate", ModelName: m.Name, ModelVersion: m.Version}
	if o.baseline != "" {
		b, err := o.served.Open(ctx, &o.src.Source, o.baseline, log)
		if err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
		defer b.Close()
		e.BaselineModel, e.BaselineInputs = b.Model, b.Inputs
	}
	if o.src.URI != "" {
		e.Registry = o.src.NewClient()
	}
	rec, err := evaluate.EvaluateLLM(ctx, e)
	if err != nil {
		return err
	}
	return printRecord(stdout, rec, o.out.Format)
}
