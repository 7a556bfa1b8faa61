package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// Model is one model the server answers for: a loaded predictor with what
// each protocol needs precomputed.
type Model struct {
	Name    string
	Version string
	Source  string // the directory or URI it was loaded from
	Flavor  string

	Loaded  *flavors.Loaded
	decoder *scoring.Decoder
	// inputs and outputs are the predictor's tensor infos, read once at
	// load: requests use them without copying and must not change them.
	inputs, outputs []flavors.TensorInfo
	// wireInputs are inputs as v1 and v2 requests are checked against:
	// the signature's fixed dimensions where the model leaves them
	// dynamic, so that a shape the model cannot run is the client's 400,
	// not the runtime's failure.
	wireInputs []flavors.TensorInfo
	// batchWhy is why the model's requests cannot be concatenated, or ""
	// (batchable's answer, computed once at load).
	batchWhy string
	obs      observers // set by Server.Add
	LoadTime time.Duration

	// Drift monitoring: the reference profile and how the inputs feed its
	// features (from LoadModel), and the monitor (from Server.Add).
	driftRef     *drift.Profile
	driftTaps    []driftTap
	driftOutTaps []driftTap
	monitor      *drift.Monitor

	// Throughput: the batcher (from Server.Add, when batching is on) or
	// a limit on concurrent runs.
	batcher *batcher
	runs    chan struct{}

	// A model replaced by a new version is closed once the requests using
	// it are done.
	inUse     atomic.Int64
	retired   atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// acquire marks m in use by a request; the server calls it while holding
// its read lock, so a model that has been replaced is never acquired.
func (m *Model) acquire() { m.inUse.Add(1) }

// release ends a request's use of m, closing it if it was retired and this
// was the last request.
func (m *Model) release() {
	if m.inUse.Add(-1) == 0 && m.retired.Load() {
		m.Close()
	}
}

// retire closes m once no request uses it.
func (m *Model) retire() {
	m.retired.Store(true)
	if m.inUse.Load() == 0 {
		m.Close()
	}
}

// Signature returns the model's signature, or nil.
func (m *Model) Signature() *flavors.Signature {
	return m.Loaded.MLmodel.Signature
}

// Predictor returns the model's predictor.
func (m *Model) Predictor() flavors.Predictor { return m.Loaded.Predictor }

// signatureKind names the kind of input schema for the model_info metric.
func (m *Model) signatureKind() string {
	sig := m.Signature()
	switch {
	case sig == nil || sig.Inputs == nil:
		return "none"
	case sig.Inputs.IsTensor():
		return "tensor"
	default:
		return "columns"
	}
}

// LoadModel loads the model directory dir under name and version, and runs
// one warm-up inference so the first request does not pay for lazy
// initialisation inside the runtime.
func LoadModel(ctx context.Context, name, version, dir string, log *slog.Logger) (*Model, error) {
	return LoadModelWith(ctx, name, version, dir, flavors.LoadOptions{Logger: log})
}

// LoadModelWith is LoadModel with flavor load options (thread settings,
// and lo.Logger, which logs the loading: nil discards).
func LoadModelWith(ctx context.Context, name, version, dir string, lo flavors.LoadOptions) (*Model, error) {
	log := lo.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	lo.Logger = log.With("model", name)
	l, err := flavors.Load(ctx, dir, lo)
	if err != nil {
		return nil, err
	}
	m, err := NewModel(name, version, dir, l)
	if err != nil {
		l.Predictor.Close()
		return nil, err
	}
	if err := m.warmUp(ctx); err != nil {
		l.Predictor.Close()
		return nil, fmt.Errorf("model %s: warm-up inference: %w", name, err)
	}
	m.loadDriftReference(dir, log)
	m.LoadTime = time.Since(start)
	log.Info("model loaded", "model", name, "version", version, "flavor", l.Flavor,
		"source", dir, "duration", m.LoadTime)
	return m, nil
}

// NewModel prepares an already loaded model for serving under name and
// version; source says where it came from.
func NewModel(name, version, source string, l *flavors.Loaded) (*Model, error) {
	p := l.Predictor
	inputs, outputs := p.Inputs(), p.Outputs()
	dec, err := scoring.NewDecoder(scoring.ModelSpec{
		Signature: l.MLmodel.Signature,
		Inputs:    inputs,
		Outputs:   outputs,
	})
	if err != nil {
		return nil, fmt.Errorf("model %s: checking its signature against the model's inputs: %w", name, err)
	}
	return &Model{Name: name, Version: version, Source: source, Flavor: l.Flavor, Loaded: l, decoder: dec,
		inputs: inputs, outputs: outputs, wireInputs: signatureShapes(inputs, l.MLmodel.Signature),
		batchWhy: batchable(inputs, outputs)}, nil
}

// signatureShapes returns inputs with the dimensions that the MLflow
// signature's tensor specs fix (≥ 0) where the model's are dynamic (-1):
// a PaddleOCR classifier takes [-1, 3, -1, -1] by its ONNX graph but can
// only run [-1, 3, 48, 192], as its signature says. Specs pair with inputs
// by name, or by position when they are unnamed and as many; a spec of
// another rank is left out. Without a tensor signature, inputs as they are.
func signatureShapes(inputs []flavors.TensorInfo, sig *flavors.Signature) []flavors.TensorInfo {
	if sig == nil || sig.Inputs == nil || len(sig.Inputs.Tensors) == 0 {
		return inputs
	}
	specs := sig.Inputs.Tensors
	out := slices.Clone(inputs)
	for i := range out {
		var spec *flavors.TensorSpec
		for j := range specs {
			if specs[j].Name != "" && specs[j].Name == out[i].Name {
				spec = &specs[j]
			}
		}
		if spec == nil && len(specs) == len(out) && specs[i].Name == "" {
			spec = &specs[i]
		}
		if spec == nil || len(spec.Shape) != len(out[i].Shape) {
			continue
		}
		shape := slices.Clone(out[i].Shape)
		for d, n := range spec.Shape {
			if shape[d] < 0 && n >= 0 {
				shape[d] = n
			}
		}
		out[i].Shape = shape
	}
	return out
}

// warmUp runs the model once: on its serving input example when it has one
// that decodes, else on zeros with every dynamic dimension set to 1.
func (m *Model) warmUp(ctx context.Context) error {
	if body, err := m.Loaded.ServingInputExample(); err == nil && len(body) > 0 {
		if req, err := m.decoder.Decode(scoring.FormatJSON, body); err == nil {
			_, err := m.Predictor().Predict(ctx, req.Inputs, nil)
			return err
		}
	}
	inputs, err := zeroInputs(m.inputs)
	if err != nil {
		// A model whose inputs cannot be synthesised is served without a
		// warm-up rather than refused.
		return nil
	}
	_, err = m.Predictor().Predict(ctx, inputs, nil)
	var inErr *flavors.InputError
	if errors.As(err, &inErr) {
		return nil
	}
	return err
}

// zeroInputs builds one all-zero tensor per model input, with dynamic
// dimensions of size 1.
func zeroInputs(infos []flavors.TensorInfo) ([]*flavors.Tensor, error) {
	ts := make([]*flavors.Tensor, 0, len(infos))
	for _, in := range infos {
		shape := make([]int64, len(in.Shape))
		for i, d := range in.Shape {
			shape[i] = max(d, 1)
		}
		data, err := flavors.MakeSlice(in.DType, int(flavors.NumElements(shape)))
		if err != nil {
			return nil, err
		}
		ts = append(ts, &flavors.Tensor{Name: in.Name, DType: in.DType, Shape: shape, Data: data})
	}
	return ts, nil
}

// Close releases the model's runtime resources; later calls do nothing.
func (m *Model) Close() error {
	m.closeOnce.Do(func() {
		if m.batcher != nil {
			m.batcher.stop()
		}
		m.closeErr = m.Predictor().Close()
	})
	return m.closeErr
}
