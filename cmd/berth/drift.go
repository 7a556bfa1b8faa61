package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/batchscore"
	"github.com/berthml/berth/chart"
	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/drift"
)

// errDrift is returned by `drift report --fail-on-drift` when the model drifts.
var errDrift = errors.New("drift detected")

func newDriftCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "drift", Short: "Profile reference data and report data drift"}
	cmd.AddCommand(newDriftProfileCmd(), newDriftReportCmd())
	return cmd
}

type driftProfileOptions struct {
	runtime options.Runtime
	data    string
	out     string
	bins    int
	topK    int
	outputs bool
	targets []string
}

func newDriftProfileCmd() *cobra.Command {
	o := &driftProfileOptions{}
	cmd := &cobra.Command{
		Use:   "profile MODEL --data FILE.(csv|jsonl)",
		Short: "Write a reference profile of a model's inputs and outputs",
		Long: `Profile reads the model's MLmodel signature for its input columns, profiles
them in the data file (columns not in the signature are ignored), scores the
data with the model to profile its outputs too (a classifier's label and
each class probability), and writes the profile, by default to
MODEL/` + drift.FileName + `. berth serve compares live traffic with it;
berth models register uploads it with the model, and berth pack carries it.
--outputs=false profiles the inputs only, without loading the model.

A model whose signature is tensor-based, or that has none (its inputs are
then those ONNX Runtime reports), is profiled by its input tensors: each
column of a [-1, N] input is a feature, named by the data (the CSV header
or the JSON keys, less --target; columns past the N-th are left out with
a note) or "input[j]" for JSON arrays; an input of rank 3 or more (images,
sequences) is profiled by per-sample summaries of each channel: mean, std,
min, max and the share of zeros, named like "input.c0.mean".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, p, err := runDriftProfile(cmd.Context(), args[0], o, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d features, %d output columns)\n", path, len(p.Features), len(p.Outputs))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.data, "data", "", "reference data: a CSV file with a header, or JSON Lines")
	f.StringVar(&o.out, "out", "", "where to write the profile (default MODEL/"+drift.FileName+")")
	f.IntVar(&o.bins, "bins", drift.DefaultBins, "equal-frequency bins per numeric feature")
	f.IntVar(&o.topK, "top-k", drift.DefaultTopK, "categories kept per categorical feature")
	f.BoolVar(&o.outputs, "outputs", true, "score the data with the model and profile its outputs too")
	o.runtime.AddFlags(cmd)
	f.StringArrayVar(&o.targets, "target", nil, "a data column that is not a model input (the label, an id), for a model whose input is a tensor; repeatable")
	return cmd
}

// runDriftProfile profiles the data for the model in dir and writes the
// profile.
func runDriftProfile(ctx context.Context, dir string, o *driftProfileOptions, notes io.Writer) (string, *drift.Profile, error) {
	p, err := batchscore.ProfileModel(ctx, dir, batchscore.ProfileOptions{Data: o.data, Bins: o.bins, TopK: o.topK,
		Outputs: o.outputs, Targets: o.targets, Notes: notes, Init: o.runtime.Init})
	if err != nil {
		return "", nil, err
	}
	out := o.out
	if out == "" {
		out = filepath.Join(dir, drift.FileName)
	}
	return out, p, batchscore.WriteProfile(out, p)
}

type driftReportOptions struct {
	runtime     options.Runtime
	reference   string
	current     string
	model       string
	outputs     bool
	output      string
	out         string
	failOnDrift bool
	th          drift.Thresholds
}

func newDriftReportCmd() *cobra.Command {
	o := &driftReportOptions{th: drift.DefaultThresholds(), outputs: true}
	cmd := &cobra.Command{
		Use:   "report --reference PROFILE --current FILE.(csv|jsonl)",
		Short: "Compare current data with a reference profile",
		Long: `Report profiles the current data against the reference's bins and prints,
per feature, PSI, the two-sample KS statistic and p-value (on the binned
data), the Jensen–Shannon distance (base 2) and, for categorical features,
the chi-squared statistic and p-value. When the reference profiles the
model's outputs too, they are compared as well: from the outputs a request
log recorded, or by scoring the current data with the model (--model, or
the --reference directory). A feature drifts when its p-values, adjusted by
Benjamini-Hochberg over all the input features, fall below q (--ks-pvalue,
--chi2-pvalue) and, from --js-min-count values on, it also moved by a
distance (--wasserstein, --js-distance, --psi-drift); the model drifts when
any input feature does (at least --drift-share of them, when set); drifting
outputs alone make it a warning. docs/drift.md has the rule.
Finding drift is not an error: the exit status is 0 unless --fail-on-drift
is given and the model drifts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDriftReport(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.reference, "reference", "", "reference profile (a "+drift.FileName+", or the model directory holding one)")
	f.StringVar(&o.current, "current", "", "current data: CSV with a header, JSON Lines (.jsonl), or a request log of berth serve --log-requests")
	f.StringVar(&o.model, "model", "", "model directory that scores the current data to compare outputs (default: --reference when it is a directory)")
	f.BoolVar(&o.outputs, "outputs", true, "compare the model's outputs when the reference has them")
	o.runtime.AddFlags(cmd)
	f.StringVarP(&o.output, "output", "o", "table", "table, json or html")
	f.StringVar(&o.out, "out", "", "write the report to this file instead of stdout")
	f.BoolVar(&o.failOnDrift, "fail-on-drift", false, "exit with an error when the model drifts")
	options.AddThresholdFlags(cmd, &o.th, "")
	return cmd
}

func runDriftReport(ctx context.Context, stdout io.Writer, o *driftReportOptions) error {
	if o.reference == "" || o.current == "" {
		return errors.New("--reference and --current are required")
	}
	if o.output != "table" && o.output != "json" && o.output != "html" {
		return fmt.Errorf("--output must be table, json or html, not %q", o.output)
	}
	rep, err := batchscore.Report(ctx, batchscore.ReportOptions{Reference: o.reference, Current: o.current, Model: o.model,
		Outputs: o.outputs, Thresholds: o.th, Init: o.runtime.Init})
	if err != nil {
		return err
	}
	w := stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := printDriftReport(w, o.output, rep); err != nil {
		return err
	}
	if o.out != "" {
		if err := w.(*os.File).Close(); err != nil {
			return err
		}
	}
	if o.failOnDrift && rep.Status == drift.StatusDrift {
		return fmt.Errorf("%w: %d of %d features drifted", errDrift, rep.DriftedFeatures, rep.Inputs())
	}
	return nil
}

func printDriftReport(w io.Writer, output string, rep *drift.Report) error {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "html":
		return chart.WriteReport(w, rep)
	}
	return rep.WriteTable(w)
}
