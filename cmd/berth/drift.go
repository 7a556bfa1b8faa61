package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berthml/berth/batchscore"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// errDrift is returned by `drift report --fail-on-drift` when the model drifts.
var errDrift = errors.New("drift detected")

func newDriftCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "drift", Short: "Profile reference data and report data drift"}
	cmd.AddCommand(newDriftProfileCmd(), newDriftReportCmd())
	return cmd
}

type driftProfileOptions struct {
	data    string
	out     string
	bins    int
	topK    int
	outputs bool
	ortLib  string
	targets []string
	notes   io.Writer // where notes on left-out data columns go; nil: nowhere
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
			o.notes = cmd.ErrOrStderr()
			path, p, err := runDriftProfile(args[0], o)
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
	f.StringVar(&o.ortLib, "ort-lib", "", "path to libonnxruntime.so (default: the cache that \"make ort\" fills)")
	f.StringArrayVar(&o.targets, "target", nil, "a data column that is not a model input (the label, an id), for a model whose input is a tensor; repeatable")
	return cmd
}

func runDriftProfile(dir string, o *driftProfileOptions) (string, *drift.Profile, error) {
	if o.data == "" {
		return "", nil, errors.New("--data is required")
	}
	m, err := flavors.Open(dir)
	if err != nil {
		return "", nil, fmt.Errorf("opening model %s: %w", dir, err)
	}
	var inputs *flavors.Schema
	if sig := m.MLmodel.Signature; sig != nil {
		inputs = sig.Inputs
	}
	opts := []drift.Option{drift.WithBins(o.bins), drift.WithTopK(o.topK)}
	var cols []drift.Column
	var keep []string // the data columns a tensor model's input takes
	if inputs != nil && len(inputs.Columns) > 0 {
		if cols, err = drift.ColumnsFromSchema(inputs); err != nil {
			return "", nil, fmt.Errorf("model %s: %w", dir, err)
		}
	} else {
		if cols, err = tensorColumns(dir, inputs, o); err != nil {
			return "", nil, fmt.Errorf("model %s: %w", dir, err)
		}
		keep = keptColumns(cols, o.data)
	}
	p, err := readProfile(o.data, cols, opts...)
	if err != nil {
		return "", nil, err
	}
	if o.outputs {
		outs, err := profileOutputs(dir, o.data, o.ortLib, keep, opts...)
		if err != nil {
			return "", nil, fmt.Errorf("%w (--outputs=false profiles the inputs only)", err)
		}
		p.Outputs = outs
	}
	out := o.out
	if out == "" {
		out = filepath.Join(dir, drift.FileName)
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return "", nil, err
	}
	if err := os.WriteFile(out, append(data, '\n'), 0o644); err != nil {
		return "", nil, fmt.Errorf("writing profile: %w", err)
	}
	return out, p, nil
}

// tensorColumns returns the features of a model whose signature is
// tensor-based (sig) or missing, named from the data's first line, and
// prints notes on the data columns left out. The inputs ONNX Runtime
// reports name the tensors; they are required without a signature.
func tensorColumns(dir string, sig *flavors.Schema, o *driftProfileOptions) ([]drift.Column, error) {
	var runtime []flavors.TensorInfo
	if !sig.IsTensor() || o.outputs {
		ins, err := modelInputs(dir, o.ortLib)
		switch {
		case err == nil:
			runtime = ins
		case !sig.IsTensor():
			return nil, fmt.Errorf("the model has no signature, and ONNX Runtime must report its inputs: %w", err)
		}
		// With a signature, a model that does not load is named by it; the
		// outputs step says why it does not load.
	}
	ins, err := drift.TensorInputs(sig, runtime)
	if err != nil {
		return nil, err
	}
	head, err := dataHead(o.data)
	if err != nil {
		return nil, err
	}
	cols, ns, err := drift.TensorColumns(ins, head, o.targets)
	if err != nil {
		return nil, fmt.Errorf("profiling %s: %w", o.data, err)
	}
	for _, n := range ns {
		if o.notes != nil {
			fmt.Fprintf(o.notes, "note: %s\n", n)
		}
	}
	return cols, nil
}

// modelInputs loads the model in dir to list the inputs ONNX Runtime
// reports.
func modelInputs(dir, ortLib string) ([]flavors.TensorInfo, error) {
	if err := initORT(ortLib); err != nil {
		return nil, err
	}
	l, err := flavors.Load(context.Background(), dir, flavors.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("loading model %s: %w", dir, err)
	}
	defer l.Predictor.Close()
	return l.Predictor.Inputs(), nil
}

// dataHead reads a CSV file's header, or a JSON Lines file's first line.
func dataHead(path string) (drift.DataHead, error) {
	f, err := os.Open(path)
	if err != nil {
		return drift.DataHead{}, err
	}
	defer f.Close()
	if !isJSONL(path) {
		header, err := csv.NewReader(f).Read()
		if err != nil {
			return drift.DataHead{}, fmt.Errorf("reading the CSV header of %s: %w", path, err)
		}
		return drift.DataHead{Header: header}, nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, drift.MaxSampleBytes)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			return drift.DataHead{First: bytes.Clone(line)}, nil
		}
	}
	if err := sc.Err(); err != nil {
		return drift.DataHead{}, fmt.Errorf("reading %s: %w", path, err)
	}
	return drift.DataHead{}, fmt.Errorf("%s has no data", path)
}

func isJSONL(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".jsonl" || ext == ".ndjson"
}

// keptColumns returns the names of the columns of a tensor model's single
// rank-2 input, in order, when the data is a CSV file (which names them),
// for the scorer to send; nil otherwise.
func keptColumns(cols []drift.Column, data string) []string {
	var keep []string
	tensor := ""
	for _, c := range cols {
		s := c.Source
		if s == nil || s.Rank != 2 || (tensor != "" && s.Tensor != tensor) {
			return nil
		}
		tensor = s.Tensor
		keep = append(keep, c.Name)
	}
	if isJSONL(data) && keep != nil && keep[0] == drift.ColumnName(tensorLabel(cols[0]), 0) {
		return nil
	}
	return keep
}

// tensorLabel is the label a positional column's name starts with.
func tensorLabel(c drift.Column) string {
	if i := strings.LastIndexByte(c.Name, '['); i > 0 {
		return c.Name[:i]
	}
	return c.Name
}

// profileOutputs scores the data file with the model in dir and profiles
// its outputs. With ref, the outputs are profiled against ref's outputs.
// keep names the data columns a tensor model's input takes (nil: all).
func profileOutputs(dir, data, ortLib string, keep []string, opts ...drift.Option) ([]drift.Feature, error) {
	if err := initORT(ortLib); err != nil {
		return nil, err
	}
	ctx := context.Background()
	l, err := flavors.Load(ctx, dir, flavors.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("loading model %s to profile its outputs: %w", dir, err)
	}
	defer l.Predictor.Close()
	return batchscore.ProfileOutputsKeeping(ctx, l, data, keep, opts...)
}

// readProfile profiles a .csv or .jsonl/.ndjson file. A JSON Lines file
// that berth serve --log-requests wrote is read as a request log: its
// inputs profile cols and, when outs is not nil, its outputs profile outs
// (profiled against ref's outputs when ref is given).
func readProfile(path string, cols []drift.Column, opts ...drift.Option) (*drift.Profile, error) {
	p, _, err := readCurrent(path, cols, nil, nil, opts...)
	return p, err
}

func readCurrent(path string, cols, outs []drift.Column, ref *drift.Profile, opts ...drift.Option) (*drift.Profile, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	b := drift.NewBuilder(cols, opts...)
	isLog := false
	switch {
	case isJSONL(path):
		br := bufio.NewReader(f)
		first, _ := br.Peek(64 << 10)
		if i := bytes.IndexByte(first, '\n'); i >= 0 {
			first = first[:i]
		}
		if isLog = drift.IsLog(first); isLog {
			var ob *drift.Builder
			if len(outs) > 0 {
				oopts := opts
				if ref != nil {
					oopts = append(slices.Clone(opts), drift.WithReference(&drift.Profile{Version: ref.Version, Features: ref.Outputs}))
				}
				ob = drift.NewBuilder(outs, oopts...)
			}
			if err := drift.ReadLog(br, b, ob); err != nil {
				return nil, false, fmt.Errorf("profiling %s: %w", path, err)
			}
			p, err := b.Profile()
			if err != nil || ob == nil {
				return p, true, err
			}
			op, err := ob.Profile()
			if err != nil {
				return nil, false, fmt.Errorf("profiling the outputs in %s: %w", path, err)
			}
			p.Outputs = op.Features
			return p, true, nil
		}
		err = drift.ReadJSONL(br, b)
	default:
		err = drift.ReadCSV(f, b)
	}
	if err != nil {
		return nil, false, fmt.Errorf("profiling %s: %w", path, err)
	}
	p, err := b.Profile()
	return p, false, err
}

type driftReportOptions struct {
	reference   string
	current     string
	model       string
	outputs     bool
	ortLib      string
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
			return runDriftReport(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.reference, "reference", "", "reference profile (a "+drift.FileName+", or the model directory holding one)")
	f.StringVar(&o.current, "current", "", "current data: CSV with a header, JSON Lines (.jsonl), or a request log of berth serve --log-requests")
	f.StringVar(&o.model, "model", "", "model directory that scores the current data to compare outputs (default: --reference when it is a directory)")
	f.BoolVar(&o.outputs, "outputs", true, "compare the model's outputs when the reference has them")
	f.StringVar(&o.ortLib, "ort-lib", "", "path to libonnxruntime.so (default: the cache that \"make ort\" fills)")
	f.StringVarP(&o.output, "output", "o", "table", "table, json or html")
	f.StringVar(&o.out, "out", "", "write the report to this file instead of stdout")
	f.BoolVar(&o.failOnDrift, "fail-on-drift", false, "exit with an error when the model drifts")
	thresholdFlags(f, &o.th, "")
	return cmd
}

// thresholdFlags adds the drift threshold flags, named with prefix (but
// --drift-share on every command), that set th (whose values are the
// defaults).
func thresholdFlags(f *pflag.FlagSet, th *drift.Thresholds, prefix string) {
	f.Float64Var(&th.PSIWarning, prefix+"psi-warning", th.PSIWarning, "PSI (on bins merged to the sample size) at or above this warns (0 disables)")
	f.Float64Var(&th.PSIDrift, prefix+"psi-drift", th.PSIDrift, "from --"+prefix+"js-min-count values, PSI at or above this is a change large enough to drift (0 disables)")
	f.Float64Var(&th.KSPValue, prefix+"ks-pvalue", th.KSPValue, "false discovery rate q: a KS p-value, Benjamini-Hochberg adjusted over the window's features, below this is significant (0 disables)")
	f.Float64Var(&th.JSDistance, prefix+"js-distance", th.JSDistance, "from --"+prefix+"js-min-count values, a JS distance at or above this is a change large enough to drift (0 disables)")
	f.Int64Var(&th.JSMinCount, prefix+"js-min-count", th.JSMinCount, "values both sides need before a significant feature must also move by a distance to drift")
	f.Float64Var(&th.Chi2PValue, prefix+"chi2-pvalue", th.Chi2PValue, "false discovery rate q for chi-squared p-values, adjusted with the KS ones (0 disables)")
	f.Float64Var(&th.Wasserstein, prefix+"wasserstein", th.Wasserstein, "from --"+prefix+"js-min-count values, a Wasserstein distance over the reference's std at or above this is a change large enough to drift (0 disables)")
	f.Float64Var(&th.DriftShare, "drift-share", th.DriftShare, "share of drifted input features at which the model drifts (0: any one)")
}

func runDriftReport(stdout io.Writer, o *driftReportOptions) error {
	if o.reference == "" || o.current == "" {
		return errors.New("--reference and --current are required")
	}
	if o.output != "table" && o.output != "json" && o.output != "html" {
		return fmt.Errorf("--output must be table, json or html, not %q", o.output)
	}
	ref, err := readReference(o.reference)
	if err != nil {
		return err
	}
	cols := make([]drift.Column, len(ref.Features))
	for i, f := range ref.Features {
		cols[i] = drift.Column{Name: f.Name, Type: flavors.ColType(f.Type), Kind: f.Kind, Source: f.Source}
	}
	var outCols []drift.Column
	for _, f := range ref.Outputs {
		outCols = append(outCols, drift.Column{Name: f.Name, Type: flavors.ColType(f.Type), Kind: f.Kind})
	}
	cur, isLog, err := readCurrent(o.current, cols, outCols, ref, drift.WithReference(ref))
	if err != nil {
		return err
	}
	model := o.model
	if st, err := os.Stat(o.reference); model == "" && err == nil && st.IsDir() {
		model = o.reference
	}
	if len(ref.Outputs) > 0 && !isLog && model != "" && o.outputs {
		outs, err := profileOutputs(model, o.current, o.ortLib, keptColumns(cols, o.current),
			drift.WithReference(&drift.Profile{Version: ref.Version, Features: ref.Outputs}))
		if err != nil {
			return fmt.Errorf("%w (--outputs=false compares the inputs only)", err)
		}
		cur.Outputs = outs
	}
	rep, err := drift.Compare(ref, cur, o.th)
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

func readReference(path string) (*drift.Profile, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, drift.FileName)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading reference profile: %w", err)
	}
	var p drift.Profile
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("reading reference profile %s: %w", path, err)
	}
	if p.Version != drift.ProfileVersion {
		return nil, fmt.Errorf("reading reference profile %s: version %d, want %d", path, p.Version, drift.ProfileVersion)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("reading reference profile %s: %w", path, err)
	}
	return &p, nil
}

func printDriftReport(w io.Writer, output string, rep *drift.Report) error {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "html":
		return drift.WriteHTML(w, rep)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row(tw, "FEATURE", "ROLE", "KIND", "PSI", "KS", "KS P", "JS", "CHI2", "CHI2 P", "STATUS")
	for _, f := range rep.Features {
		role := "input"
		if f.Output {
			role = "output"
		}
		row(tw, f.Feature, role, f.Kind, fnum(f.PSI), fnum(f.KSStatistic), fnum(f.KSPValue), fnum(f.JSDistance), fnum(f.Chi2), fnum(f.Chi2PValue), f.Status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", rep.Summary()) // the decision rule's one line
	return err
}

func fnum(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.4g", *p)
}
