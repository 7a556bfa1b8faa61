package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/promote"
)

// errRefused is returned when promote keeps the alias where it was.
var errRefused = errors.New("promotion refused")

type promoteOptions struct {
	src                               modelSource
	alias                             string
	data, target, modelType, posLabel string
	require, minRel, minAbs           []string
	experiment                        string
	out                               outputOptions
	dryRun                            bool
}

func newPromoteCmd(g *globalOptions) *cobra.Command {
	o := &promoteOptions{}
	cmd := &cobra.Command{
		Use:   "promote models:/NAME/VERSION --alias ALIAS --data FILE --target COLUMN --model-type TYPE --require EXPR",
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
promotion lists every failed check and exits with status 1.`,
		Example: `  berth promote models:/iris/3 --alias champion --data holdout.csv --target species \
      --model-type classifier --require "accuracy_score>=0.9" --min-relative-change f1_score=0.01`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			return runPromote(cmd.Context(), cmd.OutOrStdout(), args[0], o, log)
		},
	}
	f := cmd.Flags()
	o.src.AddFlags(cmd)
	evalDataFlags(cmd, &o.data, &o.target, &o.modelType, &o.posLabel)
	thresholdCheckFlags(cmd, &o.require, &o.minRel, &o.minAbs)
	f.StringVar(&o.alias, "alias", "", "the alias to move (e.g. champion)")
	f.StringVar(&o.experiment, "experiment", "berth-evaluation", "experiment the evaluation runs are logged to")
	o.out.AddFlags(cmd)
	f.BoolVar(&o.dryRun, "dry-run", false, "evaluate and report, but move no alias and write no tag")
	return cmd
}

func runPromote(ctx context.Context, stdout io.Writer, candidate string, o *promoteOptions, log *slog.Logger) error {
	mt, err := checkEvalFlags(o.data, o.target, o.modelType)
	if err != nil {
		return err
	}
	if o.alias == "" {
		return errors.New("--alias is required")
	}
	if err := o.out.check(); err != nil {
		return err
	}
	u, err := modeluri.Parse(candidate)
	if err != nil {
		return fmt.Errorf("the candidate must be a registered version: %w", err)
	}
	th, err := evaluate.MergeThresholds(o.require, o.minAbs, o.minRel)
	if err != nil {
		return err
	}
	if len(th) == 0 {
		return errors.New("give at least one check (--require, --min-relative-change or --min-absolute-change): promote moves an alias only on evidence")
	}
	if o.src.uri == "" {
		return errors.New("promote needs the registry: give --registry-uri (or set BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)")
	}
	cand, err := o.src.open(ctx, candidate, log)
	if err != nil {
		return err
	}
	defer cand.Loaded.Predictor.Close()
	holderURI := modeluri.URI{Name: u.Name, Kind: modeluri.KindAlias, Alias: o.alias}
	var holder *promote.Model
	switch h, err := o.src.open(ctx, holderURI.String(), log); {
	case err == nil:
		defer h.Loaded.Predictor.Close()
		holder = promoteModel(h)
	case !isNotFound(err):
		return err
	}
	p, err := promote.Run(ctx, o.src.newClient(), promoteModel(cand), holder, promote.Request{Alias: o.alias,
		Data:       evaluate.Data{Path: o.data, Target: o.target, ModelType: mt, PosLabel: o.posLabel},
		Thresholds: th, Experiment: o.experiment, DryRun: o.dryRun})
	if err != nil {
		return err
	}
	if err := printPromotion(stdout, o.out.format, p); err != nil {
		return err
	}
	if p.Refused() {
		return fmt.Errorf("%w: %d check(s) failed; @%s stays on version %s", errRefused, len(p.Failures), o.alias, orNone(p.Holder))
	}
	return nil
}

// promoteModel is m as promote takes it: a registered version.
func promoteModel(m *evaluate.Subject) *promote.Model {
	return &promote.Model{URI: m.URI, Name: m.Name, Version: m.Version, Loaded: m.Loaded}
}

func isNotFound(err error) bool {
	var apiErr *mlflowrest.ErrorResponse
	return errors.As(err, &apiErr) && apiErr.ErrorCode == mlflowrest.CodeResourceDoesNotExist
}

func orNone(v string) string {
	if v == "" {
		return "none"
	}
	return v
}

func printPromotion(w io.Writer, output string, p *promote.Outcome) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	if p.AlreadyPromoted {
		_, err := fmt.Fprintf(w, "@%s already points at %s version %s: nothing to do\n", p.Alias, p.Model, p.Candidate)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	holder := "@" + p.Alias + " (v" + p.Holder + ")"
	if p.Holder == "" {
		holder = "@" + p.Alias + " (none)"
	}
	row(tw, "METRIC", "CANDIDATE (v"+p.Candidate+")", holder)
	for _, k := range slices.Sorted(maps.Keys(p.Metrics)) {
		hv := "-"
		if v, ok := p.HolderMetrics[k]; ok {
			hv = evaluate.FormatMetric(v)
		}
		row(tw, k, evaluate.FormatMetric(p.Metrics[k]), hv)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if p.SkippedChecks {
		fmt.Fprintf(w, "@%s points at no version yet: the change checks were skipped\n", p.Alias)
	}
	for _, f := range p.Failures {
		fmt.Fprintf(w, "FAILED %s\n", f.Message)
	}
	switch {
	case p.DryRun && len(p.Failures) == 0:
		fmt.Fprintf(w, "dry run: every check passed; @%s would move to version %s\n", p.Alias, p.Candidate)
	case p.DryRun:
		fmt.Fprintf(w, "dry run: @%s would stay on version %s\n", p.Alias, orNone(p.Holder))
	case p.Promoted:
		fmt.Fprintf(w, "promoted: @%s now points at %s version %s (was %s); evaluation run %s\n", p.Alias, p.Model, p.Candidate, orNone(p.Holder), p.CandidateRunID)
	default:
		fmt.Fprintf(w, "refused: @%s stays on version %s; evaluation run %s\n", p.Alias, orNone(p.Holder), p.CandidateRunID)
	}
	return nil
}
