//go:build !servingonly

package options

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/evaluate/llm"
	"github.com/berthml/berth/flavors"
)

// ServedModel are berth evaluate's flags for an LLM model type whose
// outputs a model makes: --model-url (a served model's /invocations),
// --model-token, --input-columns and --batch-size.
type ServedModel struct {
	URL, Token string
	Inputs     []string
	Batch      int
}

// AddFlags adds the served model flags to cmd.
func (o *ServedModel) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.URL, "model-url", "", "LLM model types: a served model's scoring URL (berth serve's http://HOST:PORT/invocations) that makes the outputs from each row")
	f.StringVar(&o.Token, "model-token", "", "a bearer token for --model-url (default $BERTH_TOKEN, berth serve's --token)")
	f.StringSliceVar(&o.Inputs, "input-columns", nil, "the data columns sent to --model-url (default: every column but --target); a MODEL given as a directory or URI is sent its own inputs")
	f.IntVar(&o.Batch, "batch-size", llm.DefaultBatchRows, "rows per /invocations call (or per call of a MODEL)")
}

// Check refuses a malformed URL or batch size and returns the token.
func (o *ServedModel) Check() (token string, err error) {
	if o.Batch < 1 {
		return "", fmt.Errorf("--batch-size must be at least 1, not %d", o.Batch)
	}
	if o.URL != "" {
		if err := checkScoringURL(o.URL); err != nil {
			return "", fmt.Errorf("--model-url: %w", err)
		}
	}
	if o.Token != "" {
		return o.Token, nil
	}
	return os.Getenv("BERTH_TOKEN"), nil
}

// IsScoringURL reports whether s is an http(s) URL rather than a model
// directory or URI.
func IsScoringURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https")
}

func checkScoringURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL", s)
	}
	return nil
}

// Evaluation checks the flags of an LLM evaluation whose outputs a model
// makes (MODEL given when model is set, else --model-url) and returns it
// without its models, thresholds, artifacts and run.
func (o *ServedModel) Evaluation(model string, d EvalData, l LLMEval) (evaluate.LLMEvaluation, error) {
	var none evaluate.LLMEvaluation
	switch {
	case d.Data == "":
		return none, errors.New("--data is required")
	case d.ModelType == string(llm.Retriever):
		return none, errors.New("--model-type retriever scores a column of retrieved ids (--predictions), not a model")
	case l.Predictions != "" || l.BaselinePredictions != "" || l.Endpoint != "" || l.Template != "":
		// --gateway-uri may come: the judge metrics' gateway.
		return none, errors.New("a model makes the outputs: give no --predictions, --baseline-predictions, --endpoint or --prompt-template with it")
	case model != "" && o.URL != "":
		return none, errors.New("give either MODEL or --model-url, not both")
	case l.Concurrency < 1:
		return none, fmt.Errorf("--concurrency must be at least 1, not %d", l.Concurrency)
	}
	if _, err := o.Check(); err != nil {
		return none, err
	}
	return evaluate.LLMEvaluation{Data: d.Data, Target: d.Target, ModelType: llm.ModelType(d.ModelType),
		Concurrency: l.Concurrency, Batch: o.Batch}, nil
}

// TextModel is a model an LLM evaluation sends its rows to.
type TextModel struct {
	Model  llm.Model
	Inputs []string // the columns it is sent (nil: every column but the target)
	// Label names it in run names; Name and Version name a registered
	// version ("" otherwise).
	Label, Name, Version string
	Close                func() error
}

// Open returns the model arg names: a scoring URL (served, sent
// --input-columns), or a directory or models:/ or prompts:/ URI of a
// model with text inputs and one text output (a promptlab model), loaded
// here and sent its own inputs.
func (o *ServedModel) Open(ctx context.Context, src *Source, arg string, log *slog.Logger) (*TextModel, error) {
	if IsScoringURL(arg) {
		if err := checkScoringURL(arg); err != nil {
			return nil, err
		}
		token, err := o.Check()
		if err != nil {
			return nil, err
		}
		return &TextModel{Model: &llm.Invocations{URL: arg, Token: token}, Inputs: o.Inputs, Label: "served",
			Close: func() error { return nil }}, nil
	}
	f, err := src.Fetch(ctx, arg, log)
	if err != nil {
		return nil, err
	}
	loaded, err := flavors.Load(ctx, f.Dir, flavors.LoadOptions{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", arg, err)
	}
	m, inputs, err := evaluate.PredictorModel(arg, loaded.Predictor)
	if err != nil {
		loaded.Predictor.Close()
		return nil, err
	}
	tm := &TextModel{Model: m, Inputs: inputs, Label: filepath.Base(f.Dir), Close: loaded.Predictor.Close}
	if v := f.Version; v != nil {
		tm.Label, tm.Name, tm.Version = v.Name+"-v"+v.Version, v.Name, v.Version
	}
	return tm, nil
}
