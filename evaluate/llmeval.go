package evaluate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/evaluate/llm"
	"github.com/berthml/berth/evaluate/llm/judge"
	"github.com/berthml/berth/flavors"
)

// EvalTableFile is the per-row table MLflow logs with an LLM evaluation.
const EvalTableFile = "eval_results_table.json"

// LLMEvaluation is berth evaluate for the LLM model types (text,
// question-answering, text-summarization, retriever) on a column of
// precomputed outputs: the metrics, the per-row table, the threshold checks
// and the run.
type LLMEvaluation struct {
	// Data is a CSV or JSON Lines file; Predictions names its column of
	// outputs (for a retriever: the retrieved document ids, in rank
	// order), Target its column of expected outputs ("" for none; a
	// retriever's relevant document ids).
	Data, Predictions, Target string
	ModelType                 llm.ModelType
	// Generator, when set, makes the outputs: Template rendered with each
	// row, Concurrency calls at once (0: 1). They become the table's
	// "outputs" column (Predictions is ignored) with each row's "latency"
	// in seconds.
	Generator   llm.Generator
	Template    *llm.Template
	Concurrency int
	// Model, when set, makes the outputs instead: a served model's
	// /invocations or a loaded promptlab model, sent the columns
	// ModelInputs (nil: every column but Target) in batches of Batch rows
	// (0: llm.DefaultBatchRows), Concurrency batches at once. ModelName
	// names it in the record and the run. BaselineModel, when set, is
	// evaluated the same way on the same rows (its outputs are the
	// column "baseline_outputs") for the change checks.
	// BaselineInputs are the columns BaselineModel is sent (nil: those
	// Model is sent).
	Model, BaselineModel        llm.Model
	ModelInputs, BaselineInputs []string
	Batch                       int
	ModelName                   string
	// K is the retriever metrics' k (0: llm.DefaultK, MLflow's default).
	K int
	// Judge, when set, grades every row with JudgeMetrics (MLflow's
	// LLM-as-judge metrics, --extra-metrics) through a judge model.
	Judge        judge.Judge
	JudgeMetrics []*judge.Metric
	// JudgeInputs is the column of the inputs shown to the judge ("": the
	// column "inputs" when there is one, else the metrics that need the
	// input are refused); JudgeColumns maps a grading
	// context name to its column ("targets": Target by default; "context":
	// the column "context" by default), as MLflow's col_mapping does.
	JudgeInputs  string
	JudgeColumns map[string]string
	JudgeOptions judge.Options
	// BaselinePredictions, when set, is a column of a baseline's outputs
	// on the same rows, evaluated the same way for the change checks.
	BaselinePredictions string
	Thresholds          map[string]MetricThreshold
	// ArtifactDir receives eval_results_table.json; "" writes it to a
	// temporary directory, removed once logged.
	ArtifactDir string
	// Registry, when set, logs the evaluation to a run as Run says.
	Registry *mlflowrest.Client
	Run      Run
}

// EvaluateLLM runs e. As with Evaluate, a failed check is the record's
// Validation, not an error.
func EvaluateLLM(ctx context.Context, e LLMEvaluation) (*Record, error) {
	if e.Predictions == "" && e.Generator == nil && e.Model == nil {
		return nil, errors.New("the LLM evaluation needs the column of outputs to score")
	}
	dir, done, err := artifactDir(e.ArtifactDir)
	if err != nil {
		return nil, err
	}
	defer done()
	res, base, err := scoreLLM(ctx, &e)
	if err != nil {
		return nil, err
	}
	if err := writeEvalTable(filepath.Join(dir, EvalTableFile), res.evalTable); err != nil {
		return nil, fmt.Errorf("writing %s: %w", EvalTableFile, err)
	}
	files := []string{EvalTableFile}
	verr := validate(e.Thresholds, res, base)
	model := "column " + e.Predictions
	if e.Model != nil {
		model = e.ModelName
	}
	data := Data{Path: e.Data, Target: e.Target, ModelType: ModelType(e.ModelType)}
	rec := &Record{Model: model, Data: e.Data, Target: e.Target, ModelType: data.ModelType, Result: res, Baseline: base,
		Validation: verr, Thresholds: e.Thresholds, ArtifactDir: e.ArtifactDir, Artifacts: files}
	if e.Registry != nil {
		r := e.Run
		if r.RunName == "" {
			r.RunName = "evaluate-" + e.Predictions
		}
		r.Model, r.Data, r.Result, r.Thresholds, r.Validation, r.Dir, r.Artifacts = model, data, res, e.Thresholds, verr, dir, files
		if rec.RunID, err = LogRun(ctx, e.Registry, r); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// scoreLLM reads e's data, makes the outputs when a generator or a model
// makes them, and computes the metrics of the outputs (res, with its
// eval_results_table.json) and of the baseline's (base, when e has one).
// It sets e.Predictions (and e.BaselinePredictions) to the columns it
// made.
func scoreLLM(ctx context.Context, e *LLMEvaluation) (res, base *Result, err error) {
	tab, err := llm.ReadData(e.Data)
	if err != nil {
		return nil, nil, err
	}
	var latency []any
	if e.Model != nil {
		if e.ModelType == llm.Retriever {
			return nil, nil, errors.New("a retriever is evaluated on a column of retrieved ids, not through a model")
		}
		for _, c := range []string{"outputs", "baseline_outputs"} {
			if tab.Column(c) >= 0 {
				return nil, nil, fmt.Errorf("the data already has an %q column: the model's outputs go there", c)
			}
		}
		cols := e.ModelInputs
		if cols == nil {
			for _, c := range tab.Columns {
				if c != e.Target {
					cols = append(cols, c)
				}
			}
		}
		lat, err := addPredictions(ctx, e.Model, cols, tab, e.Batch, e.Concurrency, "outputs")
		if err != nil {
			return nil, nil, fmt.Errorf("scoring the model %s: %w", e.ModelName, err)
		}
		latency, e.Predictions = lat, "outputs"
		if e.BaselineModel != nil {
			bcols := cols
			if e.BaselineInputs != nil {
				bcols = e.BaselineInputs
			}
			if _, err := addPredictions(ctx, e.BaselineModel, bcols, tab, e.Batch, e.Concurrency, "baseline_outputs"); err != nil {
				return nil, nil, fmt.Errorf("scoring the baseline: %w", err)
			}
			e.BaselinePredictions = "baseline_outputs"
		}
	} else if e.Generator != nil {
		if e.ModelType == llm.Retriever {
			return nil, nil, errors.New("a retriever is evaluated on a column of retrieved ids, not through a prompt")
		}
		if tab.Column("outputs") >= 0 {
			return nil, nil, errors.New(`the data already has an "outputs" column: the generated outputs go there`)
		}
		outs, lat, err := llm.Generate(ctx, e.Generator, e.Template, tab, e.Concurrency)
		if err != nil {
			return nil, nil, fmt.Errorf("generating the outputs: %w", err)
		}
		tab.Columns = append(tab.Columns, "outputs")
		latency = make([]any, len(lat))
		for i := range tab.Data {
			tab.Data[i] = append(tab.Data[i], *outs[i])
			latency[i] = lat[i]
		}
		e.Predictions = "outputs"
	}
	res, scores, err := computeLLM(tab, e.ModelType, e.Predictions, e.Target, e.K)
	if err != nil {
		return nil, nil, err
	}
	if e.Judge != nil && len(e.JudgeMetrics) > 0 {
		cols, err := e.judge(ctx, tab, e.Predictions, res)
		if err != nil {
			return nil, nil, err
		}
		scores = append(scores, cols...)
	}
	if latency != nil {
		scores = append([]llm.Column{{Name: "latency", Values: latency}}, scores...)
	}
	if e.BaselinePredictions != "" {
		if base, _, err = computeLLM(tab, e.ModelType, e.BaselinePredictions, e.Target, e.K); err != nil {
			return nil, nil, fmt.Errorf("baseline: %w", err)
		}
		if e.Judge != nil && len(e.JudgeMetrics) > 0 {
			if _, err := e.judge(ctx, tab, e.BaselinePredictions, base); err != nil {
				return nil, nil, fmt.Errorf("baseline: %w", err)
			}
		}
	}
	res.evalTable = EvalTable(tab, e.Predictions, e.Target, e.BaselinePredictions, scores)
	return res, base, nil
}

// addPredictions scores tab's cols with m and appends the outputs as the
// column name; it returns each row's latency.
func addPredictions(ctx context.Context, m llm.Model, cols []string, tab *llm.Table, batch, concurrency int, name string) ([]any, error) {
	outs, lat, err := llm.Predict(ctx, m, cols, tab, batch, concurrency)
	if err != nil {
		return nil, err
	}
	tab.Columns = append(tab.Columns, name)
	latency := make([]any, len(lat))
	for i := range tab.Data {
		tab.Data[i] = append(tab.Data[i], *outs[i])
		latency[i] = lat[i]
	}
	return latency, nil
}

// computeLLM reads the columns the model type needs and computes its
// metrics.
func computeLLM(tab *llm.Table, mt llm.ModelType, preds, target string, k int) (*Result, []llm.Column, error) {
	in := llm.Input{ModelType: mt, K: k}
	var err error
	if mt == llm.Retriever {
		if target == "" {
			return nil, nil, llm.ErrNoTargets
		}
		if in.Retrieved, err = tab.IDColumn(preds); err != nil {
			return nil, nil, err
		}
		if in.Relevant, err = tab.IDColumn(target); err != nil {
			return nil, nil, err
		}
	} else {
		if in.Predictions, err = tab.TextColumn(preds); err != nil {
			return nil, nil, err
		}
		if target != "" {
			if in.Targets, err = tab.TextColumn(target); err != nil {
				return nil, nil, err
			}
		}
	}
	lr, err := llm.Compute(in)
	if err != nil {
		return nil, nil, err
	}
	res := &Result{ModelType: ModelType(mt), Warnings: lr.Warnings}
	if len(tab.Data) == 0 {
		res.warnf("the data has no rows")
	}
	for _, n := range lr.Names {
		res.set(n, lr.Metrics[n])
	}
	return res, lr.Columns, nil
}

// EvalTable is MLflow's eval_results_table.json for an evaluation of tab:
// the other input columns, the target, the outputs (and the baseline's),
// then one column per metric score (NAME/score; token_count as is).
func EvalTable(tab *llm.Table, preds, target, baseline string, scores []llm.Column) *llm.Table {
	var idx []int
	for i, c := range tab.Columns {
		if c != preds && c != target && c != baseline {
			idx = append(idx, i)
		}
	}
	for _, c := range []string{target, preds, baseline} {
		if i := tab.Column(c); c != "" && i >= 0 {
			idx = append(idx, i)
		}
	}
	out := &llm.Table{Data: make([][]any, len(tab.Data))}
	for _, i := range idx {
		out.Columns = append(out.Columns, tab.Columns[i])
	}
	for _, s := range scores {
		out.Columns = append(out.Columns, s.Name)
	}
	for r, row := range tab.Data {
		vals := make([]any, 0, len(out.Columns))
		for _, i := range idx {
			vals = append(vals, row[i])
		}
		for _, s := range scores {
			vals = append(vals, s.Values[r])
		}
		out.Data[r] = vals
	}
	if out.Columns == nil {
		out.Columns = []string{}
	}
	return out
}

func writeEvalTable(path string, t *llm.Table) error {
	if t.Data == nil {
		t.Data = [][]any{}
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// IsLLMModelType reports whether t is one of the LLM model types: text,
// question-answering, text-summarization or retriever.
func IsLLMModelType(t string) bool { return llm.IsModelType(t) }

// judge grades the outputs in column preds with the judge metrics, adding
// their aggregates and warnings to res and returning their table columns.
func (e *LLMEvaluation) judge(ctx context.Context, tab *llm.Table, preds string, res *Result) ([]llm.Column, error) {
	if e.ModelType == llm.Retriever {
		return nil, errors.New("the judge metrics grade text outputs: not a retriever's document ids")
	}
	if c, ok := e.Judge.(interface{ Check(context.Context) error }); ok {
		if err := c.Check(ctx); err != nil {
			return nil, err
		}
	}
	rows := judge.Rows{Context: map[string][]*string{}}
	var err error
	inputs := e.JudgeInputs
	if inputs == "" && tab.Column("inputs") >= 0 {
		inputs = "inputs"
	}
	if rows.Outputs, err = tab.TextColumn(preds); err != nil {
		return nil, err
	}
	for _, m := range e.JudgeMetrics {
		if m.IncludeInput && rows.Inputs == nil {
			if inputs == "" {
				return nil, fmt.Errorf("%s shows the judge each row's input: name its column (--judge-inputs)", m.Name)
			}
			if rows.Inputs, err = tab.TextColumn(inputs); err != nil {
				return nil, fmt.Errorf("%s's inputs: %w", m.Name, err)
			}
		}
		for _, c := range m.GradingContextColumns {
			if rows.Context[c] != nil {
				continue
			}
			col := e.JudgeColumns[c]
			switch {
			case col == "" && c == "targets" && e.Target == "":
				return nil, fmt.Errorf("%s compares with the ground truth: give --target", m.Name)
			case col == "" && c == "targets":
				col = e.Target
			case col == "":
				col = c
			}
			if rows.Context[c], err = tab.TextColumn(col); err != nil {
				return nil, fmt.Errorf("%s's %s (map it to a column with --judge-column %s=COLUMN): %w", m.Name, c, c, err)
			}
		}
	}
	jr, err := judge.Evaluate(ctx, e.Judge, e.JudgeMetrics, rows, e.JudgeOptions)
	if err != nil {
		return nil, fmt.Errorf("judging the outputs: %w", err)
	}
	for _, n := range jr.Names {
		res.set(n, jr.Metrics[n])
	}
	res.Warnings = append(res.Warnings, jr.Warnings...)
	return jr.Columns, nil
}

// PredictorModel is a loaded model as an LLM evaluation's model: its
// string inputs are the columns it is sent, and its one string output
// (a promptlab model's "output") is the text. name names it in errors.
func PredictorModel(name string, p flavors.Predictor) (llm.Model, []string, error) {
	var textOut []string
	for _, o := range p.Outputs() {
		if o.DType == flavors.String {
			textOut = append(textOut, o.Name)
		}
	}
	if len(textOut) != 1 {
		return nil, nil, fmt.Errorf("model %s: an LLM evaluation needs a model with one text output, not %d", name, len(textOut))
	}
	ins := p.Inputs()
	cols := make([]string, len(ins))
	for i, in := range ins {
		if in.DType != flavors.String {
			return nil, nil, fmt.Errorf("model %s: input %q is %v, not text", name, in.Name, in.DType)
		}
		cols[i] = in.Name
	}
	return predictorModel{p: p, output: textOut[0]}, cols, nil
}

type predictorModel struct {
	p      flavors.Predictor
	output string
}

func (m predictorModel) Predict(ctx context.Context, cols []string, rows [][]string) ([]string, error) {
	ins := make([]*flavors.Tensor, len(cols))
	for c, name := range cols {
		vals := make([]string, len(rows))
		for r, row := range rows {
			vals[r] = row[c]
		}
		ins[c] = &flavors.Tensor{Name: name, DType: flavors.String, Shape: []int64{int64(len(rows))}, Data: vals}
	}
	outs, err := m.p.Predict(ctx, ins, []string{m.output})
	if err != nil {
		return nil, err
	}
	for _, o := range outs {
		if o.Name == m.output {
			if s, ok := o.Data.([]string); ok {
				return s, nil
			}
		}
	}
	return nil, fmt.Errorf("the model answered no text output %q", m.output)
}

// modelLLM evaluates a loaded model of an LLM model type on d: the rows
// go through the model in batches, and the result carries the
// eval_results_table.json its WriteArtifacts writes.
func modelLLM(ctx context.Context, name string, m *flavors.Loaded, d Data) (*Result, error) {
	lm, cols, err := PredictorModel(name, m.Predictor)
	if err != nil {
		return nil, err
	}
	e := &LLMEvaluation{Data: d.Path, Target: d.Target, ModelType: llm.ModelType(d.ModelType), Model: lm,
		ModelInputs: cols, ModelName: name, Concurrency: 1}
	res, _, err := scoreLLM(ctx, e)
	return res, err
}
