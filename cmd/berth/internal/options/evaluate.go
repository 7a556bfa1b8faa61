//go:build !servingonly

package options

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/evaluate"
)

// EvalData are the flags that say what to evaluate on (berth evaluate,
// promote): --data, --target, --model-type and --pos-label.
type EvalData struct {
	Data, Target, ModelType, PosLabel string
	// LLM, when set, lets Check take the LLM model types a model can be
	// evaluated as (text, question-answering, text-summarization), whose
	// --target is optional (berth promote of prompts).
	LLM bool
}

// AddFlags adds the evaluation data flags to cmd.
func (o *EvalData) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.Data, "data", "", "labelled data: CSV with a header, or JSON Lines (.jsonl)")
	f.StringVar(&o.Target, "target", "", "the column holding the true label or value")
	f.StringVar(&o.ModelType, "model-type", "", "classifier or regressor")
	f.StringVar(&o.PosLabel, "pos-label", "", "the positive class of a binary classifier (default 1)")
}

// Check refuses missing or unknown flags and returns evaluate's data.
func (o *EvalData) Check() (evaluate.Data, error) {
	if o.LLM && evaluate.IsLLMModelType(o.ModelType) && o.ModelType != "retriever" {
		if o.Data == "" {
			return evaluate.Data{}, errors.New("--data is required")
		}
		return evaluate.Data{Path: o.Data, Target: o.Target, ModelType: evaluate.ModelType(o.ModelType)}, nil
	}
	if o.Data == "" || o.Target == "" {
		return evaluate.Data{}, errors.New("--data and --target are required")
	}
	d := evaluate.Data{Path: o.Data, Target: o.Target, ModelType: evaluate.ModelType(o.ModelType), PosLabel: o.PosLabel}
	switch d.ModelType {
	case evaluate.Classifier, evaluate.Regressor:
		return d, nil
	case "":
		return evaluate.Data{}, errors.New("--model-type is required: classifier or regressor")
	default:
		return evaluate.Data{}, fmt.Errorf("--model-type must be classifier or regressor, not %q", o.ModelType)
	}
}

// Checks are MLflow's MetricThreshold checks as flags: --require,
// --min-relative-change and --min-absolute-change.
type Checks struct {
	Require, MinRel, MinAbs []string
}

// AddFlags adds the check flags to cmd.
func (o *Checks) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&o.Require, "require", nil, `a metric threshold, "accuracy_score>=0.9" or "log_loss<=0.3" (repeatable)`)
	f.StringArrayVar(&o.MinRel, "min-relative-change", nil, `METRIC=R: beat the baseline by at least R relative, e.g. f1_score=0.01 (repeatable)`)
	f.StringArrayVar(&o.MinAbs, "min-absolute-change", nil, `METRIC=D: beat the baseline by at least D, e.g. accuracy_score=0.02 (repeatable)`)
}

// Thresholds parses the checks into evaluate's thresholds, by metric.
func (o *Checks) Thresholds() (map[string]evaluate.MetricThreshold, error) {
	return evaluate.MergeThresholds(o.Require, o.MinAbs, o.MinRel)
}
