//go:build !servingonly

package options

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/evaluate/llm/judge"
	"github.com/berthml/berth/internal/progress"
)

// Judge are the flags of berth evaluate's LLM-as-judge metrics:
// --extra-metrics, --judge-endpoint (or --judge-model endpoints:/NAME),
// --judge-inputs, --judge-column and --judge-concurrency. The gateway is
// the LLM flags' --gateway-uri (default $MLFLOW_DEPLOYMENTS_TARGET, as
// MLflow's deployments client reads it) and --gateway-token.
type Judge struct {
	ExtraMetrics []string
	Endpoint     string
	Model        string
	Inputs       string
	Columns      []string
	Concurrency  int
}

// AddFlags adds the judge flags to cmd.
func (o *Judge) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVar(&o.ExtraMetrics, "extra-metrics", nil, "LLM model types: MLflow's LLM-as-judge metrics to add, comma-separated: "+strings.Join(judge.Names(), ", ")+" (need --judge-endpoint)")
	f.StringVar(&o.Endpoint, "judge-endpoint", "", "the gateway's chat or completions endpoint that grades each row for --extra-metrics (on --gateway-uri)")
	f.StringVar(&o.Model, "judge-model", "", "the judge as MLflow's model URI: endpoints:/NAME (the same as --judge-endpoint NAME)")
	f.StringVar(&o.Inputs, "judge-inputs", "", `the column of the inputs the judge is shown (default: "inputs" when the data has it)`)
	f.StringArrayVar(&o.Columns, "judge-column", nil, "NAME=COLUMN: the column of a judge metric's grading context (targets: --target by default; context: the column \"context\" by default), MLflow's col_mapping; repeatable")
	f.IntVar(&o.Concurrency, "judge-concurrency", judge.DefaultConcurrency, "judge calls at once (MLflow's max_workers)")
}

// Apply checks the judge flags and, when metrics are asked for, sets the
// judge of e: a gateway client (uri and token as the LLM flags give them)
// and progress drawn on stderr when it is a terminal. It returns the
// function that erases the progress line.
func (o *Judge) Apply(e *evaluate.LLMEvaluation, l LLMEval) (done func(), err error) {
	done = func() {}
	if len(o.ExtraMetrics) == 0 {
		if o.Endpoint != "" || o.Model != "" {
			return done, errors.New("--judge-endpoint and --judge-model grade --extra-metrics: name the metrics")
		}
		return done, nil
	}
	for _, name := range o.ExtraMetrics {
		m, ok := judge.Lookup(strings.TrimSpace(name))
		if !ok {
			return done, fmt.Errorf("--extra-metrics: unknown metric %q (the judge metrics: %s)", name, strings.Join(judge.Names(), ", "))
		}
		e.JudgeMetrics = append(e.JudgeMetrics, m)
	}
	endpoint := o.Endpoint
	if o.Model != "" {
		name, ok := strings.CutPrefix(o.Model, "endpoints:/")
		if !ok || name == "" || strings.Contains(name, "/") {
			return done, fmt.Errorf("--judge-model %q: want endpoints:/NAME (a gateway endpoint; MLflow's openai:/ judges call OpenAI directly, berth goes through the gateway)", o.Model)
		}
		if endpoint != "" && endpoint != name {
			return done, errors.New("give --judge-endpoint or --judge-model, not both")
		}
		endpoint = name
	}
	if endpoint == "" {
		return done, errors.New("--extra-metrics needs the judge: --judge-endpoint NAME (or --judge-model endpoints:/NAME)")
	}
	uri := l.GatewayURI
	if uri == "" {
		uri = os.Getenv("MLFLOW_DEPLOYMENTS_TARGET")
	}
	if uri == "" {
		return done, errors.New("the judge endpoint is on a gateway: give --gateway-uri (or set MLFLOW_DEPLOYMENTS_TARGET)")
	}
	if o.Concurrency < 1 {
		return done, fmt.Errorf("--judge-concurrency must be at least 1, not %d", o.Concurrency)
	}
	e.JudgeColumns = map[string]string{}
	for _, kv := range o.Columns {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || v == "" {
			return done, fmt.Errorf("--judge-column %q: want NAME=COLUMN, e.g. context=retrieved_docs", kv)
		}
		e.JudgeColumns[k] = v
	}
	e.JudgeInputs = o.Inputs
	token := l.GatewayToken
	if token == "" {
		token = os.Getenv("BERTH_GATEWAY_TOKEN")
	}
	e.Judge = judge.NewGateway(&deployments.Client{BaseURL: uri, Token: token}, endpoint)
	st := progress.NewStatus(os.Stderr)
	e.JudgeOptions = judge.Options{Concurrency: o.Concurrency, Progress: func(d, total int) {
		st.Update("judging", fmt.Sprintf("%d/%d calls to %s", d, total, endpoint), int64(d), int64(total))
	}}
	return st.Done, nil
}
