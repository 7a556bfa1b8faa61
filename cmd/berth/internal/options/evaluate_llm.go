package options

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/evaluate/llm"
)

// LLMEval are the flags of berth evaluate for the LLM model types:
// --predictions, --baseline-predictions and --k.
type LLMEval struct {
	Predictions, BaselinePredictions string
	K                                int
}

// AddFlags adds the LLM evaluation flags to cmd.
func (o *LLMEval) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.Predictions, "predictions", "", "LLM model types: the column of precomputed outputs to score (retriever: the retrieved document ids, a JSON array per row)")
	f.StringVar(&o.BaselinePredictions, "baseline-predictions", "", "LLM model types: a column of a baseline's outputs on the same rows, for the change checks")
	f.IntVar(&o.K, "k", llm.DefaultK, "retriever: the k of precision_at_k, recall_at_k and ndcg_at_k (MLflow's retriever_k)")
}

// Check turns the data and LLM flags into an evaluation (without its
// thresholds, artifacts and run), refusing what is missing.
func (o *LLMEval) Check(d EvalData) (evaluate.LLMEvaluation, error) {
	if !evaluate.IsLLMModelType(d.ModelType) {
		return evaluate.LLMEvaluation{}, fmt.Errorf("--model-type %q is not an LLM model type", d.ModelType)
	}
	if d.Data == "" || o.Predictions == "" {
		return evaluate.LLMEvaluation{}, errors.New("--data and --predictions are required for the LLM model types")
	}
	if d.ModelType == string(llm.Retriever) && d.Target == "" {
		return evaluate.LLMEvaluation{}, errors.New("--model-type retriever needs --target: the column of relevant document ids")
	}
	if o.K < 1 {
		return evaluate.LLMEvaluation{}, fmt.Errorf("--k must be at least 1, not %d", o.K)
	}
	return evaluate.LLMEvaluation{Data: d.Data, Predictions: o.Predictions, Target: d.Target, ModelType: llm.ModelType(d.ModelType),
		K: o.K, BaselinePredictions: o.BaselinePredictions}, nil
}
