//go:build !servingonly

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/evaluate"
)

// errValidation is returned when a validation threshold fails.
var errValidation = errors.New("model validation failed")

// printRecord writes rec to stdout in format and returns errValidation when
// one of its validation thresholds failed.
func printRecord(stdout io.Writer, rec *evaluate.Record, format string) error {
	if err := rec.Write(stdout, format); err != nil {
		return err
	}
	if rec.Validation != nil {
		return fmt.Errorf("%w: %d check(s) failed", errValidation, len(evaluate.Failures(rec.Validation)))
	}
	return nil
}

type evaluateOptions struct {
	src        options.Model
	data       options.EvalData
	checks     options.Checks
	out        options.Output
	artifacts  string
	experiment string
	runID      string
	runName    string
	baseline   string
	reference  string
	llm        options.LLMEval
	judge      options.Judge
	served     options.ServedModel // an LLM model type's outputs from a model (evaluate_model.go)
}

func newEvaluateCmd(g *options.Log) *cobra.Command {
	o := &evaluateOptions{}
	cmd := &cobra.Command{
		Use:   "evaluate [MODEL] --data FILE --target COLUMN --model-type classifier|regressor|text|question-answering|text-summarization|retriever",
		Short: "Compute MLflow's default metrics for a model on labelled data, optionally against thresholds and a baseline",
		Long: `Evaluate scores the data (CSV with a header, or JSON Lines) with the model —
a directory or a models:/ URI — in batches, through the same decoder berth
serve uses, and computes MLflow's default metrics under MLflow's names:
  classifier (binary): example_count, true_negatives, false_positives,
    false_negatives, true_positives, accuracy_score, recall_score,
    precision_score, f1_score, log_loss, roc_auc, precision_recall_auc
  classifier (multiclass): example_count, accuracy_score and weighted
    recall_score, precision_score, f1_score; log_loss; one-vs-rest roc_auc
  regressor: example_count, mean_absolute_error, mean_squared_error,
    root_mean_squared_error, sum_on_target, mean_on_target, r2_score,
    max_error, mean_absolute_percentage_error
It writes per_class_metrics.csv, confusion_matrix.png, roc_curve_plot.png and
precision_recall_curve_plot.png (as they apply) to --artifacts-dir. With a
registry (--registry-uri), the metrics, parameters and artifacts are logged
to a run: a new one in --experiment, or --run-id.

--require "accuracy_score>=0.9", --min-relative-change accuracy_score=0.05
and --min-absolute-change f1_score=0.01 are MLflow's MetricThreshold checks;
the change checks compare with --baseline, another model evaluated on the
same data. Every failed check is reported and the exit status is 1.

The LLM model types score a column of precomputed outputs (--predictions,
no MODEL) with MLflow 2.17's built-in metrics under MLflow's keys, and write
MLflow's per-row eval_results_table.json (docs/evaluate-llm.md):
  question-answering: exact_match/v1 (with --target), token_count,
    flesch_kincaid_grade_level/v1 and ari_grade_level/v1 (/mean, /variance, /p90)
  text-summarization: token_count, rouge1/v1, rouge2/v1, rougeL/v1,
    rougeLsum/v1 (with --target) and the two grades
  text: token_count and the two grades
  retriever: precision_at_K, recall_at_K, ndcg_at_K (--k, default 3;
    --predictions and --target hold JSON arrays of document ids)
--baseline-predictions names a baseline's column for the change checks.
With --gateway-uri, --endpoint and --prompt-template "... {{ column }} ...",
a gateway chat endpoint makes the outputs (column "outputs", with each row's
latency), --concurrency calls at once.
--extra-metrics answer_similarity,faithfulness (MLflow's LLM-as-judge metrics:
also answer_correctness, answer_relevance, relevance) grades every row with
MLflow's judge prompt through a gateway endpoint (--judge-endpoint NAME or
--judge-model endpoints:/NAME on --gateway-uri): NAME/v1/mean, /variance,
/p90, and per-row NAME/v1/score and /justification (docs/evaluate-llm.md).
A model can make the outputs instead: a served model (--model-url
http://HOST:PORT/invocations, sent --input-columns, default every column but
--target) or MODEL, a promptlab model's directory or its models:/ URI, or a
registered prompt (prompts:/NAME@ALIAS, --prompt-endpoint); rows go in
batches of --batch-size as dataframe_split, and each row's latency is its
batch's. --baseline (a model or a scoring URL) is scored the same way.
toxicity/v1 is not computed: it needs a model downloaded at run time.`,
		Example: `  berth evaluate testdata/models/iris_logreg --data testdata/data/iris.csv --target target --model-type classifier
  berth evaluate models:/iris@challenger --data holdout.csv --target species --model-type classifier \
      --baseline models:/iris@champion --require "accuracy_score>=0.9" --min-relative-change f1_score=0.01
  berth evaluate --data answers.jsonl --predictions answer --target truth --model-type question-answering \
      --require "exact_match/v1>=0.6"
  berth evaluate --model-url http://127.0.0.1:8080/invocations --data questions.jsonl --target answer \
      --model-type question-answering --baseline prompts:/qa@production --min-absolute-change exact_match/v1=0.1`,
		Args: cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.Logger(os.Stderr)
			if err != nil {
				return err
			}
			if evaluate.IsLLMModelType(o.data.ModelType) {
				if len(args) > 0 || o.served.URL != "" {
					return runEvaluateLLMModel(cmd.Context(), cmd.OutOrStdout(), strings.Join(args, ""), o, log)
				}
				return runEvaluateLLM(cmd.Context(), cmd.OutOrStdout(), o)
			}
			if len(args) != 1 {
				return errors.New("give the MODEL to evaluate: a directory or a models:/ URI")
			}
			return runEvaluate(cmd.Context(), cmd.OutOrStdout(), args[0], o, log)
		},
	}
	f := cmd.Flags()
	o.src.AddFlags(cmd)
	o.data.AddFlags(cmd)
	o.out.AddFlags(cmd)
	f.StringVar(&o.artifacts, "artifacts-dir", "", "where to write the plots and per-class CSV (default: a temporary directory, removed after logging)")
	f.StringVar(&o.experiment, "experiment", "berth-evaluation", "experiment of the run the evaluation is logged to (with --registry-uri)")
	f.StringVar(&o.runID, "run-id", "", "log to this existing run instead of a new one")
	f.StringVar(&o.runName, "run-name", "", "name of the new run (default: evaluate-MODEL)")
	f.StringVar(&o.baseline, "baseline", "", "a baseline model (directory or models:/ URI) evaluated on the same data, for the change checks")
	o.checks.AddFlags(cmd)
	o.llm.AddFlags(cmd)
	o.judge.AddFlags(cmd)
	o.served.AddFlags(cmd)
	f.StringVar(&o.reference, "save-reference", "", "also write the data's drift reference profile (inputs and outputs, as berth drift profile does) to this file")
	return cmd
}

func runEvaluate(ctx context.Context, stdout io.Writer, model string, o *evaluateOptions, log *slog.Logger) error {
	data, err := o.data.Check()
	if err != nil {
		return err
	}
	if err := o.out.Check(); err != nil {
		return err
	}
	th, err := o.checks.Thresholds()
	if err != nil {
		return err
	}
	if o.baseline == "" && evaluate.NeedsBaseline(th) {
		return errors.New("--min-relative-change and --min-absolute-change compare with a baseline: give --baseline")
	}
	if o.runID != "" && o.src.URI == "" {
		return errors.New("--run-id needs --registry-uri")
	}
	cand, err := o.src.Open(ctx, model, log)
	if err != nil {
		return err
	}
	defer cand.Loaded.Predictor.Close()
	e := evaluate.Evaluation{Candidate: cand, Thresholds: th, ArtifactDir: o.artifacts, Reference: o.reference, Init: o.src.Init,
		Data: data, Run: evaluate.Run{Experiment: o.experiment, RunID: o.runID, RunName: o.runName, Source: "berth evaluate"}}
	if o.baseline != "" {
		if e.Baseline, err = o.src.Open(ctx, o.baseline, log); err != nil {
			return err
		}
		defer e.Baseline.Loaded.Predictor.Close()
	}
	if o.src.URI != "" {
		e.Registry = o.src.NewClient()
	}
	rec, err := evaluate.Evaluate(ctx, e)
	if err != nil {
		return err
	}
	return printRecord(stdout, rec, o.out.Format)
}

// checkLLM checks what an LLM evaluation's flags say beside its data: the
// output flags, the thresholds (into e), that relative and absolute
// thresholds have a baseline (given by baselineFlag) and that --run-id has a
// registry to write to.
func (o *evaluateOptions) checkLLM(e *evaluate.LLMEvaluation, hasBaseline bool, baselineFlag string) error {
	if err := o.out.Check(); err != nil {
		return err
	}
	var err error
	if e.Thresholds, err = o.checks.Thresholds(); err != nil {
		return err
	}
	if !hasBaseline && evaluate.NeedsBaseline(e.Thresholds) {
		return errors.New("--min-relative-change and --min-absolute-change compare with a baseline: give " + baselineFlag)
	}
	if o.runID != "" && o.src.URI == "" {
		return errors.New("--run-id needs --registry-uri")
	}
	return nil
}

func runEvaluateLLM(ctx context.Context, stdout io.Writer, o *evaluateOptions) error {
	e, err := o.llm.Check(o.data)
	if err != nil {
		return err
	}
	if err := o.checkLLM(&e, e.BaselinePredictions != "", "--baseline-predictions"); err != nil {
		return err
	}
	doneJudging, err := o.judge.Apply(&e, o.llm)
	if err != nil {
		return err
	}
	e.ArtifactDir = o.artifacts
	e.Run = evaluate.Run{Experiment: o.experiment, RunID: o.runID, RunName: o.runName, Source: "berth evaluate"}
	if o.src.URI != "" {
		e.Registry = o.src.NewClient()
	}
	rec, err := evaluate.EvaluateLLM(ctx, e)
	doneJudging()
	if err != nil {
		return err
	}
	return printRecord(stdout, rec, o.out.Format)
}
