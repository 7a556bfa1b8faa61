// Package promote moves a registered model's alias to a candidate version
// only on evidence: it evaluates the candidate and the version the alias
// points at now on the same data, checks MLflow's MetricThreshold rules
// (absolute thresholds on the candidate, change thresholds against the
// holder), logs both evaluations as runs, and moves the alias only when
// every check passes. The candidate version is tagged with its evaluation
// run and the outcome either way.
//
// The caller resolves and loads the models (berth promote does it with
// modeluri and flavors); promote decides and records.
package promote

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/flavors"
)

// Tags Run writes on the candidate version.
const (
	TagPromotionPrefix  = "berth.promotion."        // + alias: promoted or refused
	TagEvaluationRun    = "berth.evaluation.run_id" // the candidate's evaluation run
	TagHolderVersion    = "berth.promotion.baseline_version"
	TagEvaluationPrefix = "berth.evaluation." // + a headline metric: its value
)

// headlineMetrics are the metrics copied to the candidate version's tags.
var headlineMetrics = []string{"accuracy_score", "f1_score", "roc_auc", "r2_score", "root_mean_squared_error",
	"exact_match/v1", "rougeL/v1/mean"}

// Model is a registered model version, loaded.
type Model struct {
	URI           string // as given, e.g. models:/iris/3; names it in errors and runs
	Name, Version string
	Loaded        *flavors.Loaded
}

func (m *Model) label() string { return m.Name + "-v" + m.Version }

// Request is a promotion to decide.
type Request struct {
	Alias      string
	Data       evaluate.Data
	Thresholds map[string]evaluate.MetricThreshold // at least one
	Experiment string                              // the evaluation runs go here
	DryRun     bool                                // evaluate and report; move no alias, write no tag or run
}

// Outcome is what a promotion found and did.
type Outcome struct {
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

// Refused reports whether the checks kept the alias where it was.
func (o *Outcome) Refused() bool { return len(o.Failures) > 0 }

// Run decides whether r.Alias moves from holder (nil when the alias points
// at no version: the change checks are then skipped) to cand, and, unless
// r.DryRun, logs both evaluations, moves the alias when every check passes
// and tags the candidate version. A refusal is an Outcome with Failures,
// not an error.
func Run(ctx context.Context, c *mlflowrest.Client, cand, holder *Model, r Request) (*Outcome, error) {
	p := &Outcome{Model: cand.Name, Alias: r.Alias, Candidate: cand.Version, DryRun: r.DryRun}
	if holder != nil {
		p.Holder = holder.Version
		if holder.Version == cand.Version {
			p.AlreadyPromoted, p.Promoted = true, true
			return p, nil
		}
	}
	res, err := evaluate.Model(ctx, cand.URI, cand.Loaded, r.Data)
	if err != nil {
		return nil, fmt.Errorf("evaluating the candidate: %w", err)
	}
	p.Metrics = res.Metrics
	th := maps.Clone(r.Thresholds)
	var base *evaluate.Result
	var baseMetrics map[string]float64
	if holder != nil {
		if base, err = evaluate.Model(ctx, holder.URI, holder.Loaded, r.Data); err != nil {
			return nil, fmt.Errorf("evaluating %s: %w", holder.URI, err)
		}
		p.HolderMetrics, baseMetrics = base.Metrics, base.Metrics
	} else {
		th, p.SkippedChecks = withoutChangeChecks(th) // nothing to compare with
	}
	verr := evaluate.ValidateResults(th, res.Metrics, baseMetrics)
	p.Failures = failures(verr)
	p.Promoted = verr == nil && !r.DryRun
	if r.DryRun {
		return p, nil
	}

	runTags := []mlflowrest.RunTag{{Key: "berth.promotion.alias", Value: r.Alias}, {Key: "berth.promotion.role", Value: "candidate"}}
	if p.CandidateRunID, err = logRun(ctx, c, r, cand, res, th, verr, runTags); err != nil {
		return nil, err
	}
	if holder != nil {
		runTags[1].Value = "baseline"
		if p.HolderRunID, err = logRun(ctx, c, r, holder, base, nil, nil, runTags); err != nil {
			return nil, err
		}
	}
	outcome := "refused"
	if verr == nil {
		if err := c.Post(ctx, "registered-models/alias", mlflowrest.SetRegisteredModelAliasRequest{
			Name: p.Model, Alias: r.Alias, Version: p.Candidate}, nil); err != nil {
			return nil, fmt.Errorf("moving @%s to version %s: %w", r.Alias, p.Candidate, err)
		}
		outcome = "promoted"
	}
	tags := map[string]string{TagPromotionPrefix + r.Alias: outcome, TagEvaluationRun: p.CandidateRunID}
	if p.Holder != "" {
		tags[TagHolderVersion] = p.Holder
	}
	for _, k := range headlineMetrics {
		if v, ok := p.Metrics[k]; ok {
			tags[TagEvaluationPrefix+k] = evaluate.FormatMetric(v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if err := c.Post(ctx, "model-versions/set-tag", mlflowrest.SetModelVersionTagRequest{
			Name: p.Model, Version: p.Candidate, Key: k, Value: tags[k]}, nil); err != nil {
			return nil, fmt.Errorf("recording the promotion on version %s: %w", p.Candidate, err)
		}
	}
	return p, nil
}

// withoutChangeChecks drops the change checks, which need a baseline,
// and reports whether there were any.
func withoutChangeChecks(th map[string]evaluate.MetricThreshold) (map[string]evaluate.MetricThreshold, bool) {
	if !evaluate.NeedsBaseline(th) {
		return th, false
	}
	for name, t := range th {
		t.MinAbsoluteChange, t.MinRelativeChange = nil, nil
		if t.Threshold == nil {
			delete(th, name)
		} else {
			th[name] = t
		}
	}
	return th, true
}

// failures lists a validation error's failed checks.
func failures(err error) []evaluate.Failure {
	var ve *evaluate.ValidationError
	if errors.As(err, &ve) {
		return ve.Failures
	}
	return nil
}

// logRun writes an evaluation's artifacts to a temporary directory and
// logs it as a run in r.Experiment.
func logRun(ctx context.Context, c *mlflowrest.Client, r Request, m *Model, res *evaluate.Result,
	th map[string]evaluate.MetricThreshold, verr error, tags []mlflowrest.RunTag) (string, error) {
	dir, err := os.MkdirTemp("", "berth-promote-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	files, err := res.WriteArtifacts(dir)
	if err != nil {
		return "", fmt.Errorf("writing the artifacts: %w", err)
	}
	return evaluate.LogRun(ctx, c, evaluate.Run{Experiment: r.Experiment, RunName: "promote-" + m.label() + "-to-" + r.Alias,
		Source: "berth evaluate", Model: m.URI, ModelName: m.Name, ModelVersion: m.Version, Data: r.Data, Result: res,
		Thresholds: th, Validation: verr, Dir: dir, Artifacts: files, Tags: slices.Clone(tags)})
}
