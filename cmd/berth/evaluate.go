package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/batchscore"
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
	registryURI, registryTok, cacheDir, ortLib string
}

func (o *modelSource) addFlags(f interface {
	StringVar(*string, string, string, string)
}) {
	f.StringVar(&o.registryURI, "registry-uri", "", "registry that models:/ URIs are resolved against, and that evaluation runs are logged to")
	f.StringVar(&o.registryTok, "registry-token", "", "bearer token for the registry")
	f.StringVar(&o.cacheDir, "cache-dir", "", "where models downloaded from the registry are kept (default: the user cache dir)/berth/models")
	f.StringVar(&o.ortLib, "ort-lib", "", "path to libonnxruntime.so (default: the cache that \"make ort\" fills)")
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

// open resolves and downloads a models:/ URI, or takes a directory, and
// loads the model.
func (o *modelSource) open(ctx context.Context, arg string, log *slog.Logger) (*localModel, error) {
	m := &localModel{arg: arg, dir: arg}
	if modeluri.IsModelURI(arg) {
		u, err := modeluri.Parse(arg)
		if err != nil {
			return nil, err
		}
		r, err := newResolver(&serveOptions{registryURI: o.registryURI, registryTok: o.registryTok, cacheDir: o.cacheDir}, log)
		if err != nil {
			return nil, err
		}
		if m.version, err = r.Resolve(ctx, u); err != nil {
			return nil, fmt.Errorf("resolving %s: %w", arg, err)
		}
		if m.dir, err = r.Download(ctx, m.version); err != nil {
			return nil, fmt.Errorf("downloading %s: %w", arg, err)
		}
	}
	if err := initORT(o.ortLib); err != nil {
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
	output     string
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
	o.src.addFlags(f)
	evalDataFlags(cmd, &o.data, &o.target, &o.modelType, &o.posLabel)
	f.StringVarP(&o.output, "output", "o", "table", "table or json")
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

// thresholds builds the validation thresholds of the flags.
func thresholds(require, minRel, minAbs []string) (map[string]evaluate.MetricThreshold, error) {
	return evaluate.MergeThresholds(require, minAbs, minRel)
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
	if o.output != "table" && o.output != "json" {
		return fmt.Errorf("--output must be table or json, not %q", o.output)
	}
	th, err := thresholds(o.require, o.minRel, o.minAbs)
	if err != nil {
		return err
	}
	if o.baseline == "" && needsBaseline(th) {
		return errors.New("--min-relative-change and --min-absolute-change compare with a baseline: give --baseline")
	}
	if o.runID != "" && o.src.registryURI == "" {
		return errors.New("--run-id needs --registry-uri")
	}
	cand, err := o.src.open(ctx, model, log)
	if err != nil {
		return err
	}
	defer cand.Close()
	res, err := evaluateOn(ctx, cand, o.data, o.target, mt, o.posLabel)
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
		if base, err = evaluateOn(ctx, bm, o.data, o.target, mt, o.posLabel); err != nil {
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
		if _, _, err := runDriftProfile(cand.dir, &driftProfileOptions{data: o.data, out: o.reference,
			bins: drift.DefaultBins, topK: drift.DefaultTopK, outputs: true, ortLib: o.src.ortLib}); err != nil {
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
	rec := evalRecord{Model: model, Data: o.data, Target: o.target, ModelType: mt, Result: res, Baseline: base,
		Validation: verr, Thresholds: th, ArtifactDir: o.artifacts, Artifacts: files}
	if o.src.registryURI != "" {
		c := newClient(o.src.registryURI, o.src.registryTok)
		run, err := logEvaluation(ctx, c, evalRun{experiment: o.experiment, runID: o.runID, runName: o.runName,
			model: cand, rec: &rec, dir: dir})
		if err != nil {
			return err
		}
		rec.RunID = run
	}
	if err := printEvaluation(stdout, o.output, &rec); err != nil {
		return err
	}
	if verr != nil {
		return fmt.Errorf("%w: %d check(s) failed", errValidation, len(validationFailures(verr)))
	}
	return nil
}

func needsBaseline(th map[string]evaluate.MetricThreshold) bool {
	for _, t := range th {
		if t.MinAbsoluteChange != nil || t.MinRelativeChange != nil {
			return true
		}
	}
	return false
}

func validationFailures(err error) []evaluate.Failure {
	var ve *evaluate.ValidationError
	if errors.As(err, &ve) {
		return ve.Failures
	}
	return nil
}

// evalRecord is what an evaluation prints (-o json) and logs.
type evalRecord struct {
	Model       string                              `json:"model"`
	Data        string                              `json:"data"`
	Target      string                              `json:"target"`
	ModelType   evaluate.ModelType                  `json:"model_type"`
	Result      *evaluate.Result                    `json:"-"`
	Baseline    *evaluate.Result                    `json:"-"`
	Thresholds  map[string]evaluate.MetricThreshold `json:"-"`
	Validation  error                               `json:"-"`
	ArtifactDir string                              `json:"artifacts_dir,omitempty"`
	Artifacts   []string                            `json:"artifacts"`
	RunID       string                              `json:"run_id,omitempty"`
}

func (r *evalRecord) MarshalJSON() ([]byte, error) {
	type plain evalRecord
	out := struct {
		*plain
		Metrics         map[string]float64 `json:"metrics"`
		BaselineMetrics map[string]float64 `json:"baseline_metrics,omitempty"`
		Validation      *evalValidation    `json:"validation,omitempty"`
		Warnings        []string           `json:"warnings,omitempty"`
	}{plain: (*plain)(r), Metrics: jsonMetrics(r.Result.Metrics), Warnings: r.Result.Warnings}
	if r.Baseline != nil {
		out.BaselineMetrics = jsonMetrics(r.Baseline.Metrics)
	}
	if len(r.Thresholds) > 0 {
		out.Validation = &evalValidation{Passed: r.Validation == nil, Failures: validationFailures(r.Validation)}
	}
	return json.Marshal(out)
}

type evalValidation struct {
	Passed   bool               `json:"passed"`
	Failures []evaluate.Failure `json:"failures"`
}

// jsonMetrics drops values JSON cannot hold (NaN: a metric that does not
// apply, such as roc_auc with one class present).
func jsonMetrics(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	return out
}

func printEvaluation(w io.Writer, output string, r *evalRecord) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if r.Baseline != nil {
		row(tw, "METRIC", "CANDIDATE", "BASELINE")
	} else {
		row(tw, "METRIC", "VALUE")
	}
	for _, k := range slices.Sorted(maps.Keys(r.Result.Metrics)) {
		if r.Baseline != nil {
			b, ok := r.Baseline.Metrics[k]
			bs := "-"
			if ok {
				bs = metricText(b)
			}
			row(tw, k, metricText(r.Result.Metrics[k]), bs)
		} else {
			row(tw, k, metricText(r.Result.Metrics[k]))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, warn := range r.Result.Warnings {
		fmt.Fprintf(w, "note: %s\n", warn)
	}
	if r.ArtifactDir != "" && len(r.Artifacts) > 0 {
		fmt.Fprintf(w, "\nartifacts in %s: %s\n", r.ArtifactDir, strings.Join(r.Artifacts, ", "))
	}
	if r.RunID != "" {
		fmt.Fprintf(w, "logged to run %s\n", r.RunID)
	}
	if len(r.Thresholds) > 0 {
		if r.Validation == nil {
			fmt.Fprintf(w, "\nvalidation passed: %d threshold(s)\n", len(r.Thresholds))
		} else {
			fmt.Fprintf(w, "\nvalidation failed:\n")
			for _, f := range validationFailures(r.Validation) {
				fmt.Fprintf(w, "  %s\n", f.Message)
			}
		}
	}
	return nil
}

// metricText prints counts as integers and other values with 6
// significant digits.
func metricText(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// evaluateOn scores the data with m and evaluates the predictions against
// the target column.
func evaluateOn(ctx context.Context, m *localModel, data, target string, mt evaluate.ModelType, posLabel string) (*evaluate.Result, error) {
	truth, err := readTarget(data, target)
	if err != nil {
		return nil, err
	}
	outs, err := pickOutputs(m.loaded.Predictor.Outputs(), mt)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.arg, err)
	}
	s, err := batchscore.New(m.loaded, batchscore.DefaultBatchRows)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.arg, err)
	}
	s.Drop(target)
	var pred predictions
	if err := s.File(ctx, data, func(b batchscore.Batch) error { return pred.add(b, outs) }); err != nil {
		return nil, err
	}
	if len(pred.labels)+len(pred.values) != len(truth) {
		return nil, fmt.Errorf("the model answered %d rows for %d targets", len(pred.labels)+len(pred.values), len(truth))
	}
	if mt == evaluate.Regressor {
		y := make([]float64, len(truth))
		for i, s := range truth {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("target column %q, row %d: %q is not a number (a regressor needs numeric targets)", target, i+1, s)
			}
			y[i] = v
		}
		return evaluate.Regress(y, pred.values)
	}
	y := make([]string, len(truth))
	for i, s := range truth {
		if y[i] = canonicalLabel(s); y[i] == "" {
			return nil, fmt.Errorf("target column %q, row %d: empty label", target, i+1)
		}
	}
	labels := pred.labels
	proba, classes := pred.proba, pred.classes
	if proba != nil && classes == nil {
		classes = probaClasses(len(proba[0]), y, labels)
		if classes == nil {
			proba = nil // the columns cannot be tied to labels: no probability metrics
		}
	}
	if labels == nil { // no label output: the most probable class
		labels = make([]string, len(proba))
		for i, p := range proba {
			labels[i] = classes[argmax(p)]
		}
	}
	return evaluate.Classify(y, labels, proba, classes, posLabel)
}

// modelOutputs names the outputs an evaluation reads.
type modelOutputs struct {
	label, proba, value string
	probaIsMap          bool
}

// pickOutputs chooses the outputs to evaluate: for a classifier, a label
// output (one integer, string or boolean per row) and a probability
// output ([rows, k] floats, or sklearn's sequence of maps); for a
// regressor, one float per row.
func pickOutputs(outs []flavors.TensorInfo, mt evaluate.ModelType) (modelOutputs, error) {
	var m modelOutputs
	perRow := func(o flavors.TensorInfo) bool {
		return len(o.Shape) == 1 || (len(o.Shape) == 2 && o.Shape[1] == 1)
	}
	isFloat := func(d flavors.DType) bool {
		return d == flavors.Float32 || d == flavors.Float64 || d == flavors.Float16 || d == flavors.BFloat16
	}
	for _, o := range outs {
		switch {
		case mt == evaluate.Regressor && m.value == "" && perRow(o) && isFloat(o.DType):
			m.value = o.Name
		case mt == evaluate.Classifier && m.label == "" && perRow(o) && !isFloat(o.DType) && o.DType != flavors.Map:
			m.label = o.Name
		case mt == evaluate.Classifier && m.proba == "" && o.DType == flavors.Map:
			m.proba, m.probaIsMap = o.Name, true
		case mt == evaluate.Classifier && m.proba == "" && len(o.Shape) == 2 && o.Shape[1] != 1 && isFloat(o.DType):
			m.proba = o.Name
		}
	}
	desc := make([]string, len(outs))
	for i, o := range outs {
		desc[i] = fmt.Sprintf("%s %s %v", o.Name, o.DType, o.Shape)
	}
	switch {
	case mt == evaluate.Regressor && m.value == "":
		return m, fmt.Errorf("its outputs (%s) do not fit a regressor: none holds one float per row", strings.Join(desc, "; "))
	case mt == evaluate.Classifier && m.label == "" && m.proba == "":
		return m, fmt.Errorf("its outputs (%s) do not fit a classifier: no label output (one integer or string per row) and no probability output ([rows, k] floats)", strings.Join(desc, "; "))
	}
	return m, nil
}

// predictions gathers a model's answers batch by batch.
type predictions struct {
	labels  []string
	values  []float64
	proba   [][]float64
	classes []string // from a map output's keys
}

func (p *predictions) add(b batchscore.Batch, outs modelOutputs) error {
	get := func(name string) (*flavors.Tensor, error) {
		for _, t := range b.Outputs {
			if t.Name == name {
				return t, nil
			}
		}
		return nil, fmt.Errorf("the model returned no output %q", name)
	}
	if outs.value != "" {
		t, err := get(outs.value)
		if err != nil {
			return err
		}
		vs, ok := floatsOf(t)
		if !ok || len(vs) != b.Rows {
			return fmt.Errorf("output %q: %d values for %d rows", outs.value, len(vs), b.Rows)
		}
		p.values = append(p.values, vs...)
		return nil
	}
	if outs.label != "" {
		t, err := get(outs.label)
		if err != nil {
			return err
		}
		ls, err := labelsOf(t)
		if err != nil || len(ls) != b.Rows {
			return fmt.Errorf("output %q: %d labels for %d rows (%v)", outs.label, len(ls), b.Rows, err)
		}
		p.labels = append(p.labels, ls...)
	}
	if outs.proba == "" {
		return nil
	}
	t, err := get(outs.proba)
	if err != nil {
		return err
	}
	if outs.probaIsMap {
		maps, ok := t.Data.([]map[string]float32)
		if !ok || len(maps) != b.Rows {
			return fmt.Errorf("output %q: not one map per row", outs.proba)
		}
		for _, m := range maps {
			if p.classes == nil {
				for k := range m {
					p.classes = append(p.classes, k)
				}
				sortLabels(p.classes)
			}
			row := make([]float64, len(p.classes))
			for j, c := range p.classes {
				v, ok := m[c]
				if !ok || len(m) != len(p.classes) {
					return fmt.Errorf("output %q: rows hold different classes", outs.proba)
				}
				row[j] = float64(v)
			}
			p.proba = append(p.proba, row)
		}
		return nil
	}
	vs, ok := floatsOf(t)
	if !ok || len(t.Shape) != 2 || int(t.Shape[0]) != b.Rows {
		return fmt.Errorf("output %q: shape %v for %d rows", outs.proba, t.Shape, b.Rows)
	}
	k := int(t.Shape[1])
	for i := range b.Rows {
		p.proba = append(p.proba, vs[i*k:(i+1)*k:(i+1)*k])
	}
	return nil
}

// floatsOf returns a float tensor's values as float64.
func floatsOf(t *flavors.Tensor) ([]float64, bool) {
	switch t.Data.(type) {
	case []float32, []float64:
		return drift.Floats(t.Data, 0, 1, t.Len())
	}
	return nil, false
}

// labelsOf returns a label tensor's values as text.
func labelsOf(t *flavors.Tensor) ([]string, error) {
	switch d := t.Data.(type) {
	case []string:
		out := make([]string, len(d))
		for i, s := range d {
			out[i] = canonicalLabel(s)
		}
		return out, nil
	case []bool:
		out := make([]string, len(d))
		for i, v := range d {
			out[i] = strconv.FormatBool(v)
		}
		return out, nil
	}
	if vs, ok := drift.Floats(t.Data, 0, 1, t.Len()); ok {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = strconv.FormatFloat(v, 'f', -1, 64)
		}
		return out, nil
	}
	return nil, fmt.Errorf("labels of type %s", t.DType)
}

// canonicalLabel writes a label so that a target read from text and a
// model's integer label compare equal: "1.0" and "1" are both "1".
func canonicalLabel(s string) string {
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseFloat(s, 64); err == nil && v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return s
}

// sortLabels sorts labels as numpy.unique does: numerically when they are
// all numbers, else as text.
func sortLabels(ls []string) {
	nums := make(map[string]float64, len(ls))
	for _, l := range ls {
		v, err := strconv.ParseFloat(l, 64)
		if err != nil {
			slices.Sort(ls)
			return
		}
		nums[l] = v
	}
	slices.SortFunc(ls, func(a, b string) int {
		switch {
		case nums[a] < nums[b]:
			return -1
		case nums[a] > nums[b]:
			return 1
		}
		return strings.Compare(a, b)
	})
}

// probaClasses ties the k columns of a probability output to labels, as
// sklearn orders them (classes_ sorted): the sorted labels seen when there
// are k of them, or 0…k-1 when every label is an integer in that range.
// Nil when neither holds.
func probaClasses(k int, truth, pred []string) []string {
	seen := map[string]bool{}
	for _, ls := range [][]string{truth, pred} {
		for _, l := range ls {
			seen[l] = true
		}
	}
	idx := make([]string, k)
	for j := range k {
		idx[j] = strconv.Itoa(j)
	}
	inRange := true
	for l := range seen {
		if !slices.Contains(idx, l) {
			inRange = false
		}
	}
	if inRange {
		return idx
	}
	if len(seen) == k {
		out := make([]string, 0, k)
		for l := range seen {
			out = append(out, l)
		}
		sortLabels(out)
		return out
	}
	return nil
}

func argmax(p []float64) int {
	best := 0
	for j, v := range p {
		if v > p[best] {
			best = j
		}
	}
	return best
}

// readTarget reads the target column of a CSV or JSON Lines file as text,
// one entry per data row.
func readTarget(path, target string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return readTargetJSONL(f, path, target)
	}
	cr := csv.NewReader(f)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading %s: no header row", path)
	}
	col := -1
	for i, h := range header {
		if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == target {
			col = i
			break
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("%s has no column %q (it has %s)", path, target, strings.Join(header, ", "))
	}
	var out []string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		out = append(out, strings.Clone(rec[col]))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no data rows", path)
	}
	return out, nil
}

func readTargetJSONL(r io.Reader, path, target string) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	var out []string
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(text, &obj); err != nil {
			return nil, fmt.Errorf("%s, line %d: not a JSON object", path, line)
		}
		raw, ok := obj[target]
		if !ok {
			return nil, fmt.Errorf("%s, line %d: no %q key", path, line, target)
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			s = string(bytes.TrimSpace(raw)) // a number or boolean, as written
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no data rows", path)
	}
	return out, nil
}
