//go:build !servingonly

package options

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/evaluate/llm"
)

// LLMEval are the flags of berth evaluate for the LLM model types:
// --predictions, --baseline-predictions and --k.
type LLMEval struct {
	Predictions, BaselinePredictions string
	K                                int
	// A gateway endpoint with a prompt template makes the outputs.
	GatewayURI, GatewayToken, Endpoint, Template string
	Concurrency                                  int
	Temperature                                  float64
	MaxTokens                                    int
}

// AddFlags adds the LLM evaluation flags to cmd.
func (o *LLMEval) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.Predictions, "predictions", "", "LLM model types: the column of precomputed outputs to score (retriever: the retrieved document ids, a JSON array per row)")
	f.StringVar(&o.BaselinePredictions, "baseline-predictions", "", "LLM model types: a column of a baseline's outputs on the same rows, for the change checks")
	f.StringVar(&o.GatewayURI, "gateway-uri", "", "LLM model types: an MLflow Deployments server (berth gateway) whose --endpoint makes the outputs from --prompt-template")
	f.StringVar(&o.GatewayToken, "gateway-token", "", "a bearer token (a gateway key) for --gateway-uri (default $BERTH_GATEWAY_TOKEN)")
	f.StringVar(&o.Endpoint, "endpoint", "", "the gateway's chat endpoint that answers each row's prompt")
	f.StringVar(&o.Template, "prompt-template", "", `the prompt, with {{ column }} placeholders filled from each row, e.g. "Answer briefly: {{ question }}"`)
	f.IntVar(&o.Concurrency, "concurrency", 4, "gateway calls at once")
	f.Float64Var(&o.Temperature, "temperature", -1, "the endpoint's temperature, 0 to 2 (default: the endpoint's own)")
	f.IntVar(&o.MaxTokens, "max-tokens", 0, "the most tokens an output may have (default: the endpoint's own)")
	f.IntVar(&o.K, "k", llm.DefaultK, "retriever: the k of precision_at_k, recall_at_k and ndcg_at_k (MLflow's retriever_k)")
}

// Check turns the data and LLM flags into an evaluation (without its
// thresholds, artifacts and run), refusing what is missing.
func (o *LLMEval) Check(d EvalData) (evaluate.LLMEvaluation, error) {
	if !evaluate.IsLLMModelType(d.ModelType) {
		return evaluate.LLMEvaluation{}, fmt.Errorf("--model-type %q is not an LLM model type", d.ModelType)
	}
	gen := o.Endpoint != "" || o.Template != "" // --gateway-uri alone may serve the judge (--judge-endpoint)
	switch {
	case d.Data == "":
		return evaluate.LLMEvaluation{}, errors.New("--data is required")
	case gen && o.Predictions != "":
		return evaluate.LLMEvaluation{}, errors.New("give either --predictions (a column of outputs) or --gateway-uri, --endpoint and --prompt-template, not both")
	case gen && (o.GatewayURI == "" || o.Endpoint == "" || o.Template == ""):
		return evaluate.LLMEvaluation{}, errors.New("a gateway evaluation needs --gateway-uri, --endpoint and --prompt-template")
	case !gen && o.Predictions == "":
		return evaluate.LLMEvaluation{}, errors.New("--predictions (a column of outputs) or --gateway-uri, --endpoint and --prompt-template are required for the LLM model types")
	case o.Concurrency < 1:
		return evaluate.LLMEvaluation{}, fmt.Errorf("--concurrency must be at least 1, not %d", o.Concurrency)
	}
	if d.ModelType == string(llm.Retriever) && d.Target == "" {
		return evaluate.LLMEvaluation{}, errors.New("--model-type retriever needs --target: the column of relevant document ids")
	}
	if o.K < 1 {
		return evaluate.LLMEvaluation{}, fmt.Errorf("--k must be at least 1, not %d", o.K)
	}
	e := evaluate.LLMEvaluation{Data: d.Data, Predictions: o.Predictions, Target: d.Target, ModelType: llm.ModelType(d.ModelType),
		K: o.K, BaselinePredictions: o.BaselinePredictions}
	if gen {
		t, err := llm.ParseTemplate(o.Template)
		if err != nil {
			return evaluate.LLMEvaluation{}, fmt.Errorf("--prompt-template: %w", err)
		}
		token := o.GatewayToken
		if token == "" {
			token = os.Getenv("BERTH_GATEWAY_TOKEN")
		}
		g := &llm.Gateway{Client: &deployments.Client{BaseURL: o.GatewayURI, Token: token}, Endpoint: o.Endpoint}
		if o.Temperature >= 0 {
			g.Temperature = &o.Temperature
		}
		if o.MaxTokens > 0 {
			g.MaxTokens = &o.MaxTokens
		}
		e.Generator, e.Template, e.Concurrency = g, t, o.Concurrency
	}
	return e, nil
}
