//go:build !servingonly

package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/promote"
)

// errRefused is returned when promote keeps the alias where it was.
var errRefused = errors.New("promotion refused")

type promoteOptions struct {
	src        options.Model
	alias      string
	data       options.EvalData
	checks     options.Checks
	experiment string
	out        options.Output
	dryRun     bool
}

func newPromoteCmd(g *options.Log) *cobra.Command {
	o := &promoteOptions{}
	cmd := &cobra.Command{
		Use:   "promote models:/NAME/VERSION|prompts:/NAME/VERSION --alias ALIAS --data FILE --target COLUMN --model-type TYPE --require EXPR",
		Short: "Move an alias to a candidate version only if it passes the thresholds against the alias's holder",
		Long: `Promote evaluates the candidate version and the version the alias points at
now on the same data, checks MLflow's MetricThreshold rules (--require on the
candidate alone; --min-relative-change and --min-absolute-change against the
current holder), and moves the alias only if every check passes. Both
evaluations are logged as runs in --experiment; the candidate version is
tagged with its evaluation run and the outcome (berth.promotion.ALIAS =
promoted or refused). A berth serve of models:/NAME@ALIAS picks the new
version up at its next poll.

When the alias points at nothing yet, the change checks have nothing to
compare with and are skipped (say so with --require alone). A refused
promotion lists every failed check and exits with status 1.

A registered prompt promotes the same way: prompts:/NAME/VERSION with
--model-type text, question-answering or text-summarization. Candidate and
holder each fill their template from the data's rows and ask the gateway
endpoint (--prompt-endpoint, else each version's model_config model_name;
the gateway is $MLFLOW_DEPLOYMENTS_TARGET); the outputs are scored with
MLflow's LLM metrics (exact_match/v1 with --target, the readability grades,
rouge for summaries), and each run gets the eval_results_table.json.`,
		Example: `  berth promote models:/iris/3 --alias champion --data holdout.csv --target species \
      --model-type classifier --require "accuracy_score>=0.9" --min-relative-change f1_score=0.01
  berth promote prompts:/qa/3 --alias production --prompt-endpoint chat --data questions.jsonl \
      --target answer --model-type question-answering --require "exact_match/v1>=0.6" \
      --min-absolute-change exact_match/v1=0.1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.Logger(os.Stderr)
			if err != nil {
				return err
			}
			return runPromote(cmd.Context(), cmd.OutOrStdout(), args[0], o, log)
		},
	}
	f := cmd.Flags()
	o.src.AddFlags(cmd)
	o.data.AddFlags(cmd)
	o.data.LLM = true // prompts are promoted on the LLM model types
	o.checks.AddFlags(cmd)
	f.StringVar(&o.alias, "alias", "", "the alias to move (e.g. champion)")
	f.StringVar(&o.experiment, "experiment", "berth-evaluation", "experiment the evaluation runs are logged to")
	o.out.AddFlags(cmd)
	f.BoolVar(&o.dryRun, "dry-run", false, "evaluate and report, but move no alias and write no tag")
	return cmd
}

func runPromote(ctx context.Context, stdout io.Writer, candidate string, o *promoteOptions, log *slog.Logger) error {
	data, err := o.data.Check()
	if err != nil {
		return err
	}
	if o.alias == "" {
		return errors.New("--alias is required")
	}
	if err := o.out.Check(); err != nil {
		return err
	}
	u, err := modeluri.Parse(candidate)
	if err != nil {
		return fmt.Errorf("the candidate must be a registered version: %w", err)
	}
	th, err := o.checks.Thresholds()
	if err != nil {
		return err
	}
	if len(th) == 0 {
		return errors.New("give at least one check (--require, --min-relative-change or --min-absolute-change): promote moves an alias only on evidence")
	}
	if o.src.URI == "" {
		return errors.New("promote needs the registry: give --registry-uri (or set BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)")
	}
	cand, err := o.src.Open(ctx, candidate, log)
	if err != nil {
		return err
	}
	defer cand.Loaded.Predictor.Close()
	// An alias that no version holds yet has no holder to beat. MLflow answers
	// a missing alias with INVALID_PARAMETER_VALUE, so ask the model's alias
	// list rather than read the error.
	rm, err := o.src.NewClient().GetRegisteredModel(ctx, u.Name)
	if err != nil {
		return fmt.Errorf("reading %s's aliases: %w", u.Name, err)
	}
	var holder *promote.Model
	if slices.ContainsFunc(rm.Aliases, func(a mlflowrest.RegisteredModelAlias) bool { return a.Alias == o.alias }) {
		holderURI := modeluri.URI{Name: u.Name, Kind: modeluri.KindAlias, Alias: o.alias, Prompt: u.Prompt}
		h, err := o.src.Open(ctx, holderURI.String(), log)
		if err != nil {
			return err
		}
		defer h.Loaded.Predictor.Close()
		holder = promoteModel(h)
	}
	p, err := promote.Run(ctx, o.src.NewClient(), promoteModel(cand), holder, promote.Request{Alias: o.alias,
		Data: data, Thresholds: th, Experiment: o.experiment, DryRun: o.dryRun})
	if err != nil {
		return err
	}
	if err := p.Write(stdout, o.out.Format); err != nil {
		return err
	}
	if p.Refused() {
		return fmt.Errorf("%w: %d check(s) failed; @%s stays on version %s", errRefused, len(p.Failures), o.alias, cmp.Or(p.Holder, "none"))
	}
	return nil
}

// promoteModel is m as promote takes it: a registered version.
func promoteModel(m *evaluate.Subject) *promote.Model {
	return &promote.Model{URI: m.URI, Name: m.Name, Version: m.Version, Loaded: m.Loaded}
}
