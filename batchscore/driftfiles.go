package batchscore

// Drift profiles and reports of data files, the model scoring the data
// for its outputs: what berth drift profile and berth drift report do.

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

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// ProfileOptions say how [ProfileModel] profiles a data file.
type ProfileOptions struct {
	Data       string       // the data: CSV with a header, or JSON Lines
	Bins, TopK int          // bins per numeric feature, categories kept per categorical one
	Outputs    bool         // score the data with the model and profile its outputs too
	Targets    []string     // data columns that are not model inputs, for tensor models
	Notes      io.Writer    // where notes on left-out data columns go; nil: nowhere
	Init       func() error // called before the model is loaded (loads ONNX Runtime); nil: nothing
}

// ProfileModel profiles the data file for the model in dir: the columns of
// its signature, or its input tensors, and with o.Outputs its outputs.
func ProfileModel(ctx context.Context, dir string, o ProfileOptions) (*drift.Profile, error) {
	if o.Data == "" {
		return nil, errors.New("--data is required")
	}
	m, err := flavors.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("opening model %s: %w", dir, err)
	}
	var inputs *flavors.Schema
	if sig := m.MLmodel.Signature; sig != nil {
		inputs = sig.Inputs
	}
	opts := []drift.Option{drift.WithBins(o.Bins), drift.WithTopK(o.TopK)}
	var cols []drift.Column
	var keep []string // the data columns a tensor model's input takes
	if inputs != nil && len(inputs.Columns) > 0 {
		if cols, err = drift.ColumnsFromSchema(inputs); err != nil {
			return nil, fmt.Errorf("model %s: %w", dir, err)
		}
	} else {
		if cols, err = tensorColumns(ctx, dir, inputs, o); err != nil {
			return nil, fmt.Errorf("model %s: %w", dir, err)
		}
		keep = keptColumns(cols, o.Data)
	}
	p, _, err := readCurrent(o.Data, cols, nil, nil, opts...)
	if err != nil {
		return nil, err
	}
	if o.Outputs {
		outs, err := profileOutputs(ctx, dir, o.Data, o.Init, keep, opts...)
		if err != nil {
			return nil, fmt.Errorf("%w (--outputs=false profiles the inputs only)", err)
		}
		p.Outputs = outs
	}
	return p, nil
}

// ReportOptions say what [Report] compares.
type ReportOptions struct {
	Reference  string // a drift_reference.json, or the model directory holding one
	Current    string // CSV, JSON Lines, or a request log of berth serve --log-requests
	Model      string // the model scoring Current for its outputs ("": Reference when it is a directory)
	Outputs    bool   // compare the outputs when the reference has them
	Thresholds drift.Thresholds
	Init       func() error // called before the model is loaded; nil: nothing
}

// Report compares the current data with the reference profile: its
// inputs, and its outputs from a request log or by scoring it with the
// model.
func Report(ctx context.Context, o ReportOptions) (*drift.Report, error) {
	ref, err := ReadReference(o.Reference)
	if err != nil {
		return nil, err
	}
	cols := make([]drift.Column, len(ref.Features))
	for i, f := range ref.Features {
		cols[i] = drift.Column{Name: f.Name, Type: flavors.ColType(f.Type), Kind: f.Kind, Source: f.Source}
	}
	var outCols []drift.Column
	for _, f := range ref.Outputs {
		outCols = append(outCols, drift.Column{Name: f.Name, Type: flavors.ColType(f.Type), Kind: f.Kind})
	}
	cur, isLog, err := readCurrent(o.Current, cols, outCols, ref, drift.WithReference(ref))
	if err != nil {
		return nil, err
	}
	model := o.Model
	if st, err := os.Stat(o.Reference); model == "" && err == nil && st.IsDir() {
		model = o.Reference
	}
	if len(ref.Outputs) > 0 && !isLog && model != "" && o.Outputs {
		outs, err := profileOutputs(ctx, model, o.Current, o.Init, keptColumns(cols, o.Current),
			drift.WithReference(&drift.Profile{Version: ref.Version, Features: ref.Outputs}))
		if err != nil {
			return nil, fmt.Errorf("%w (--outputs=false compares the inputs only)", err)
		}
		cur.Outputs = outs
	}
	return drift.Compare(ref, cur, o.Thresholds)
}

// ReadReference reads a reference profile: a drift_reference.json, or the
// model directory holding one.
func ReadReference(path string) (*drift.Profile, error) {
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

// tensorColumns returns the features of a model whose signature is
// tensor-based (sig) or missing, named from the data's first line, and
// prints notes on the data columns left out. The inputs ONNX Runtime
// reports name the tensors; they are required without a signature.
func tensorColumns(ctx context.Context, dir string, sig *flavors.Schema, o ProfileOptions) ([]drift.Column, error) {
	var runtime []flavors.TensorInfo
	if !sig.IsTensor() || o.Outputs {
		ins, err := modelInputs(ctx, dir, o.Init)
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
	head, err := dataHead(o.Data)
	if err != nil {
		return nil, err
	}
	cols, ns, err := drift.TensorColumns(ins, head, o.Targets)
	if err != nil {
		return nil, fmt.Errorf("profiling %s: %w", o.Data, err)
	}
	for _, n := range ns {
		if o.Notes != nil {
			fmt.Fprintf(o.Notes, "note: %s\n", n)
		}
	}
	return cols, nil
}

// modelInputs loads the model in dir to list the inputs ONNX Runtime
// reports.
func modelInputs(ctx context.Context, dir string, init func() error) ([]flavors.TensorInfo, error) {
	if init != nil {
		if err := init(); err != nil {
			return nil, err
		}
	}
	l, err := flavors.Load(ctx, dir, flavors.LoadOptions{})
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
func profileOutputs(ctx context.Context, dir, data string, init func() error, keep []string, opts ...drift.Option) ([]drift.Feature, error) {
	if init != nil {
		if err := init(); err != nil {
			return nil, err
		}
	}
	l, err := flavors.Load(ctx, dir, flavors.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("loading model %s to profile its outputs: %w", dir, err)
	}
	defer l.Predictor.Close()
	return ProfileOutputsKeeping(ctx, l, data, keep, opts...)
}

// readCurrent profiles a .csv or .jsonl/.ndjson file. A JSON Lines file
// that berth serve --log-requests wrote is read as a request log (isLog):
// its inputs profile cols and, when outs is not empty, its outputs profile
// outs (against ref's outputs when ref is given).
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
