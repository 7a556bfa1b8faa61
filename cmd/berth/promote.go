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
)

// errRefused is returned when promote keeps the alias where it was.
var errRefused = errors.New("promotion refused")

// Tags promote writes on the candidate version.
const (
	tagPromotionPrefix  = "berth.promotion."        // + alias: promoted | refused
	tagEvaluationRun    = "berth.evaluation.run_id" // the candidate's evaluation run
	tagPromotionHolder  = "berth.promotion.baseline_version"
	tagEvaluationPrefix = "berth.evaluation."
)

type promoteOptions struct {
	src                               modelSource
	alias                             string
	data, target, modelType, posLabel string
	require, minRel, minAbs           []string
	experiment                        string
	output                            string
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
	f.StringVarP(&o.output, "output", "o", "table", "table or json")
	f.BoolVar(&o.dryRun, "dry-run", false, "evaluate and report, but move no alias and write no tag")
	return cmd
}

// promotion is the outcome of promote, as printed.
type promotion struct {
	Model           string             `json:"model"`
	Alias           string             `json:"alias"`
	Candidate       string             `json:"candidate_version"`
	Holder          string             `json:"previous_version,omitempty"`
	Promoted        bool               `json:"promoted"`
	DryRun          bool               `json:"dry_run,omitempty"`
	Metrics         map[string]float64 `json:"metrics"`
	HolderMetrics   map[string]float64 `json:"previous_metrics,omitempty"`
	Failures        []evaluate.Failure `json:"failures"`
	SkippedChecks   bool               `json:"change_checks_skipped,omitempty"`
	CandidateRunID  string             `json:"candidate_run_id,omitempty"`
	HolderRunID     string             `json:"previous_run_id,omitempty"`
	AlreadyPromoted bool               `json:"already_promoted,omitempty"`
}

func runPromote(ctx context.Context, stdout io.Writer, candidate string, o *promoteOptions, log *slog.Logger) error {
	mt, err := checkEvalFlags(o.data, o.target, o.modelType)
	if err != nil {
		return err
	}
	if o.alias == "" {
		return errors.New("--alias is required")
	}
	if o.output != "table" && o.output != "json" {
		return fmt.Errorf("--output must be table or json, not %q", o.output)
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
	c := o.src.newClient()

	cand, err := o.src.open(ctx, candidate, log)
	if err != nil {
		return err
	}
	defer cand.Close()
	p := &promotion{Model: cand.version.Name, Alias: o.alias, Candidate: cand.version.Version, DryRun: o.dryRun}

	// The alias's holder, if any.
	holderURI := modeluri.URI{Name: u.Name, Kind: modeluri.KindAlias, Alias: o.alias}
	var holder *localModel
	switch h, err := o.src.open(ctx, holderURI.String(), log); {
	case err == nil:
		holder = h
		defer holder.Close()
		p.Holder = h.version.Version
	case isNotFound(err):
	default:
		return err
	}
	if holder != nil && holder.version.Version == cand.version.Version {
		p.AlreadyPromoted, p.Promoted = true, true
		return printPromotion(stdout, o.output, p)
	}

	d := evaluate.Data{Path: o.data, Target: o.target, ModelType: mt, PosLabel: o.posLabel}
	res, err := cand.evaluate(ctx, d)
	if err != nil {
		return fmt.Errorf("evaluating the candidate: %w", err)
	}
	p.Metrics = res.Metrics
	var base *evaluate.Result
	if holder != nil {
		if base, err = holder.evaluate(ctx, d); err != nil {
			return fmt.Errorf("evaluating %s: %w", holderURI, err)
		}
		p.HolderMetrics = base.Metrics
	} else if needsBaseline(th) {
		p.SkippedChecks = true
		for name, t := range th {
			t.MinAbsoluteChange, t.MinRelativeChange = nil, nil
			if t.Threshold == nil {
				delete(th, name)
			} else {
				th[name] = t
			}
		}
	}
	var baseMetrics map[string]float64
	if base != nil {
		baseMetrics = base.Metrics
	}
	verr := evaluate.ValidateResults(th, res.Metrics, baseMetrics)
	p.Failures = validationFailures(verr)
	p.Promoted = verr == nil && !o.dryRun

	if !o.dryRun {
		runTags := []mlflowrest.RunTag{{Key: "berth.promotion.alias", Value: o.alias}, {Key: "berth.promotion.role", Value: "candidate"}}
		rec := &evalRecord{Model: candidate, Data: o.data, Target: o.target, ModelType: mt, Result: res, Thresholds: th, Validation: verr}
		if p.CandidateRunID, err = logPromotionRun(ctx, c, o, cand, rec, runTags); err != nil {
			return err
		}
		if holder != nil {
			runTags[1].Value = "baseline"
			brec := &evalRecord{Model: holderURI.String(), Data: o.data, Target: o.target, ModelType: mt, Result: base}
			if p.HolderRunID, err = logPromotionRun(ctx, c, o, holder, brec, runTags); err != nil {
				return err
			}
		}
		outcome := "refused"
		if verr == nil {
			if err := c.Post(ctx, "registered-models/alias", mlflowrest.SetRegisteredModelAliasRequest{
				Name: p.Model, Alias: o.alias, Version: p.Candidate}, nil); err != nil {
				return fmt.Errorf("moving @%s to version %s: %w", o.alias, p.Candidate, err)
			}
			outcome = "promoted"
		}
		tags := map[string]string{tagPromotionPrefix + o.alias: outcome, tagEvaluationRun: p.CandidateRunID}
		if p.Holder != "" {
			tags[tagPromotionHolder] = p.Holder
		}
		for _, k := range []string{"accuracy_score", "f1_score", "roc_auc", "r2_score", "root_mean_squared_error"} {
			if v, ok := p.Metrics[k]; ok {
				tags[tagEvaluationPrefix+k] = metricText(v)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(tags)) {
			if err := c.Post(ctx, "model-versions/set-tag", mlflowrest.SetModelVersionTagRequest{
				Name: p.Model, Version: p.Candidate, Key: k, Value: tags[k]}, nil); err != nil {
				return fmt.Errorf("recording the promotion on version %s: %w", p.Candidate, err)
			}
		}
	}
	if err := printPromotion(stdout, o.output, p); err != nil {
		return err
	}
	if verr != nil {
		return fmt.Errorf("%w: %d check(s) failed; @%s stays on version %s", errRefused, len(p.Failures), o.alias, orNone(p.Holder))
	}
	return nil
}

func logPromotionRun(ctx context.Context, c *mlflowrest.Client, o *promoteOptions, m *localModel, rec *evalRecord, tags []mlflowrest.RunTag) (string, error) {
	dir, err := os.MkdirTemp("", "berth-promote-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if rec.Artifacts, err = rec.Result.WriteArtifacts(dir); err != nil {
		return "", fmt.Errorf("writing the artifacts: %w", err)
	}
	return logEvaluation(ctx, c, evalRun{experiment: o.experiment, model: m, rec: rec, dir: dir,
		tags: slices.Clone(tags), runName: "promote-" + modelLabel(m) + "-to-" + o.alias})
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

func printPromotion(w io.Writer, output string, p *promotion) error {
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
			hv = metricText(v)
		}
		row(tw, k, metricText(p.Metrics[k]), hv)
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
