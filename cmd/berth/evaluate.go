package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/modeluri"
)

// errValidation is returned when a validation threshold fails.
var errValidation = errors.New("model validation failed")

// modelSource are the flags that find a model given as a directory or a
// models:/ URI, and load it.
type modelSource struct {
	sourceOptions
	runtimeOptions
}

// AddFlags adds the flags of both groups to cmd.
func (o *modelSource) AddFlags(cmd *cobra.Command) {
	o.sourceOptions.AddFlags(cmd)
	o.runtimeOptions.AddFlags(cmd)
}

// localModel is a model ready to run: its directory, the registry version
// it came from (nil for a directory) and the loaded predictor.
type localModel struct {
	arg     string
	dir     string
	version *modeluri.Version
	loaded  *flavors.Loaded
}

func (m *localModel) Close() error { return m.loaded.Predictor.Close() }

// evaluate scores the data with the model and evaluates its predictions.
func (m *localModel) evaluate(ctx context.Context, d evaluate.Data) (*evaluate.Result, error) {
	return evaluate.Model(ctx, m.arg, m.loaded, d)
}

// open resolves and downloads a models:/ URI, or takes a directory, and
// loads the model.
func (o *modelSource) open(ctx context.Context, arg string, log *slog.Logger) (*localModel, error) {
	dir, _, v, err := o.fetch(ctx, arg, log)
	if err != nil {
		return nil, err
	}
	m := &localModel{arg: arg, dir: dir, version: v}
	if err := o.init(); err != nil {
		return nil, err
	}
	l, err := flavors.Load(ctx, m.dir, flavors.LoadOptions{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", arg, err)
	}
	m.loaded = l
	return m, nil
}

type evaluateOptions struct {
	src        modelSource
	data       string
	target     string
	modelType  string
	posLabel   string
	out        outputOptions
	artifacts  string
	experiment string
	runID      string
	runName    string
	baseline   string
	require    []string
	minRel     []string
	minAbs     []string
	reference  string
}

func newEvaluateCmd(g *globalOptions) *cobra.Command {
	o := &evaluateOptions{}
	cmd := &cobra.Command{
		Use:   "evaluate MODEL --data FILE --target COLUMN --model-type classifier|regressor",
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
same data. Every failed check is reported and the exit status is 1.`,
		Example: `  berth evaluate testdata/models/iris_logreg --data testdata/data/iris.csv --target target --model-type classifier
  berth evaluate models:/iris@challenger --data holdout.csv --target species --model-type classifier \
      --baseline models:/iris@champion --require "accuracy_score>=0.9" --min-relative-change f1_score=0.01`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			return runEvaluate(cmd.Context(), cmd.OutOrStdout(), args[0], o, log)
		},
	}
	f := cmd.Flags()
	o.src.AddFlags(cmd)
	evalDataFlags(cmd, &o.data, &o.target, &o.modelType, &o.posLabel)
	o.out.AddFlags(cmd)
	f.StringVar(&o.artifacts, "artifacts-dir", "", "where to write the plots and per-class CSV (default: a temporary directory, removed after logging)")
	f.StringVar(&o.experiment, "experiment", "berth-evaluation", "experiment of the run the evaluation is logged to (with --registry-uri)")
	f.StringVar(&o.runID, "run-id", "", "log to this existing run instead of a new one")
	f.StringVar(&o.runName, "run-name", "", "name of the new run (default: evaluate-MODEL)")
	f.StringVar(&o.baseline, "baseline", "", "a baseline model (directory or models:/ URI) evaluated on the same data, for the change checks")
	thresholdCheckFlags(cmd, &o.require, &o.minRel, &o.minAbs)
	f.StringVar(&o.reference, "save-reference", "", "also write the data's drift reference profile (inputs and outputs, as berth drift profile does) to this file")
	return cmd
}

// evalDataFlags are the flags that say what to evaluate on.
func evalDataFlags(cmd *cobra.Command, data, target, modelType, posLabel *string) {
	f := cmd.Flags()
	f.StringVar(data, "data", "", "labelled data: CSV with a header, or JSON Lines (.jsonl)")
	f.StringVar(target, "target", "", "the column holding the true label or value")
	f.StringVar(modelType, "model-type", "", "classifier or regressor")
	f.StringVar(posLabel, "pos-label", "", "the positive class of a binary classifier (default 1)")
}

// thresholdCheckFlags are MLflow's MetricThreshold checks as flags.
func thresholdCheckFlags(cmd *cobra.Command, require, minRel, minAbs *[]string) {
	f := cmd.Flags()
	f.StringArrayVar(require, "require", nil, `a metric threshold, "accuracy_score>=0.9" or "log_loss<=0.3" (repeatable)`)
	f.StringArrayVar(minRel, "min-relative-change", nil, `METRIC=R: beat the baseline by at least R relative, e.g. f1_score=0.01 (repeatable)`)
	f.StringArrayVar(minAbs, "min-absolute-change", nil, `METRIC=D: beat the baseline by at least D, e.g. accuracy_score=0.02 (repeatable)`)
}

func checkEvalFlags(data, target, modelType string) (evaluate.ModelType, error) {
	if data == "" || target == "" {
		return "", errors.New("--data and --target are required")
	}
	switch mt := evaluate.ModelType(modelType); mt {
	case evaluate.Classifier, evaluate.Regressor:
		return mt, nil
	case "":
		return "", errors.New("--model-type is required: classifier or regressor")
	default:
		return "", fmt.Errorf("--model-type must be classifier or regressor, not %q", modelType)
	}
}

func runEvaluate(ctx context.Context, stdout io.Writer, model string, o *evaluateOptions, log *slog.Logger) error {
	mt, err := checkEvalFlags(o.data, o.target, o.modelType)
	if err != nil {
		return err
	}
	if err := o.out.check(); err != nil {
		return err
	}
	th, err := evaluate.MergeThresholds(o.require, o.minAbs, o.minRel)
	if err != nil {
		return err
	}
	if o.baseline == "" && evaluate.NeedsBaseline(th) {
		return errors.New("--min-relative-change and --min-absolute-change compare with a baseline: give --baseline")
	}
	if o.runID != "" && o.src.uri == "" {
		return errors.New("--run-id needs --registry-uri")
	}
	cand, err := o.src.open(ctx, model, log)
	if err != nil {
		return err
	}
	defer cand.Close()
	d := evaluate.Data{Path: o.data, Target: o.target, ModelType: mt, PosLabel: o.posLabel}
	res, err := cand.evaluate(ctx, d)
	if err != nil {
		return err
	}
	var base *evaluate.Result
	if o.baseline != "" {
		bm, err := o.src.open(ctx, o.baseline, log)
		if err != nil {
			return err
		}
		defer bm.Close()
		if base, err = bm.evaluate(ctx, d); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
	}
	dir := o.artifacts
	if dir == "" {
		if dir, err = os.MkdirTemp("", "berth-evaluate-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, err := res.WriteArtifacts(dir)
	if err != nil {
		return fmt.Errorf("writing the artifacts: %w", err)
	}
	if o.reference != "" {
		if _, _, err := runDriftProfile(ctx, cand.dir, &driftProfileOptions{data: o.data, out: o.reference,
			bins: drift.DefaultBins, topK: drift.DefaultTopK, outputs: true, runtime: o.src.runtimeOptions}, nil); err != nil {
			return fmt.Errorf("saving the drift reference: %w", err)
		}
	}

	var verr error
	if len(th) > 0 {
		var baseMetrics map[string]float64
		if base != nil {
			baseMetrics = base.Metrics
		}
		verr = evaluate.ValidateResults(th, res.Metrics, baseMetrics)
	}
	rec := evaluate.Record{Model: model, Data: o.data, Target: o.target, ModelType: mt, Result: res, Baseline: base,
		Validation: verr, Thresholds: th, ArtifactDir: o.artifacts, Artifacts: files}
	if o.src.uri != "" {
		run, err := evaluate.LogRun(ctx, o.src.newClient(), evaluate.Run{Experiment: o.experiment, RunID: o.runID,
			RunName: cmp.Or(o.runName, "evaluate-"+evaluate.ModelLabel(cand.dir, cand.registeredName(), cand.registeredVersion())), Source: "berth evaluate",
			Model: model, ModelName: cand.registeredName(), ModelVersion: cand.registeredVersion(), Data: d,
			Result: res, Thresholds: th, Validation: verr, Dir: dir, Artifacts: files})
		if err != nil {
			return err
		}
		rec.RunID = run
	}
	if err := rec.Write(stdout, o.out.format); err != nil {
		return err
	}
	if verr != nil {
		return fmt.Errorf("%w: %d check(s) failed", errValidation, len(evaluate.Failures(verr)))
	}
	return nil
}

// registeredName and registeredVersion name the registry version m came
// from, "" for a directory.
func (m *localModel) registeredName() string {
	if m.version == nil {
		return ""
	}
	return m.version.Name
}

func (m *localModel) registeredVersion() string {
	if m.version == nil {
		return ""
	}
	return m.version.Version
}
