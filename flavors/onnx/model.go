package onnx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/berthml/berth/flavors"
	ort "github.com/yalue/onnxruntime_go"
)

// ErrClosed is returned by Predict after Close.
var ErrClosed = errors.New("onnx model is closed")

// Model is an ONNX model loaded into an ONNX Runtime session. It is safe
// for concurrent use: the session is shared by all Predict calls.
type Model struct {
	path    string
	config  SessionConfig
	inputs  []flavors.TensorInfo
	outputs []flavors.TensorInfo
	inIdx   map[string]int
	outIdx  map[string]int
	all     []int         // 0..len(outputs)-1, the default output selection
	plans   []outPlan     // how each output is allocated
	recipes [][]dimSource // for outShaped outputs: where each dimension comes from
	inDims  [][]string    // each input's dimension names (dim_param), when the file was read

	mu       sync.RWMutex // held for reading by Predict, for writing by Close
	session  *ort.DynamicAdvancedSession
	runSlots chan *runSlot // idle run options, reused across runs
	noGuess  atomic.Bool   // set once a guessed output shape proved wrong
}

// runOptionsKept is how many idle run options a model keeps for reuse.
const runOptionsKept = 64

var _ flavors.Predictor = (*Model)(nil)

// outPlan says who allocates an output. The runtime does by default, but
// onnxruntime_go v1.27.0 fails to take 0-d outputs and 16-bit float outputs
// from it, so those are preallocated: from the model's shape when it is
// fixed, else from the sizes of the input dimensions that share the names
// of the output's dynamic dimensions (see onnxproto.go).
type outPlan int

const (
	outRuntime  outPlan = iota // the runtime allocates it
	outPrealloc                // preallocated from the model's fixed shape
	outShaped                  // preallocated with a shape worked out from the inputs
	// outGuess is a numeric output preallocated like outShaped, only to save
	// the runtime's allocation and the binding's copy of it: if a run with
	// guessed shapes fails and one without them succeeds, the model stops
	// guessing.
	outGuess
)

// Load reads the "onnx" flavor of m's MLmodel and creates an ONNX Runtime
// session for its model file. The session is created from the file path,
// so external-data files beside the model resolve. Session settings come
// from MLmodel's onnx_session_options and providers, then opts. [Init] must
// have succeeded.
func Load(ctx context.Context, m *flavors.Model, lo flavors.LoadOptions, opts ...Option) (*Model, error) {
	if !Initialized() {
		return nil, ErrNotInitialized
	}
	if m == nil || m.MLmodel == nil {
		return nil, errors.New("loading onnx model: no MLmodel")
	}
	conf, ok := m.MLmodel.Flavors[FlavorName]
	if !ok {
		return nil, fmt.Errorf("loading onnx model from %s: MLmodel has no %q flavor", m.Dir, FlavorName)
	}
	data, ok := conf["data"].(string)
	if !ok || data == "" {
		return nil, fmt.Errorf("loading onnx model from %s: the onnx flavor has no data file", m.Dir)
	}
	path, err := m.Path(data)
	if err != nil {
		return nil, fmt.Errorf("loading onnx model from %s: %w", m.Dir, err)
	}
	log := lo.Log()
	sc, err := ParseSessionConfig(conf, log)
	if err != nil {
		return nil, fmt.Errorf("loading onnx model %s: %w", path, err)
	}
	if lo.IntraOpThreads > 0 {
		sc.IntraOpThreads = lo.IntraOpThreads
	}
	if lo.InterOpThreads > 0 {
		sc.InterOpThreads = lo.InterOpThreads
	}
	sc = servingDefaults(sc)
	for _, o := range opts {
		o(&sc)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	model, err := open(path, sc, log)
	if err != nil {
		return nil, fmt.Errorf("loading onnx model %s: %w", path, err)
	}
	log.Debug("loaded onnx model", "path", path, "inputs", len(model.inputs), "outputs", len(model.outputs))
	return model, nil
}

func open(path string, sc SessionConfig, log *slog.Logger) (*Model, error) {
	inInfo, outInfo, err := readIO(path)
	if err != nil {
		return nil, err
	}
	m := &Model{path: path, config: sc, inIdx: map[string]int{}, outIdx: map[string]int{}}
	for i, info := range inInfo {
		ti, err := tensorInfo(info)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", info.Name, err)
		}
		if ti.DType == flavors.Map {
			return nil, fmt.Errorf("input %q is a %s; berth feeds tensors only", info.Name, info.OrtValueType)
		}
		m.inputs = append(m.inputs, ti)
		m.inIdx[ti.Name] = i
	}
	for i, info := range outInfo {
		ti, err := tensorInfo(info)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", info.Name, err)
		}
		m.outputs = append(m.outputs, ti)
		m.outIdx[ti.Name] = i
		m.all = append(m.all, i)
		m.plans = append(m.plans, planFor(ti))
	}
	if slices.Contains(m.plans, outShaped) || slices.Contains(m.plans, outGuess) {
		if err := m.planShapes(path); err != nil {
			return nil, err
		}
	}

	so, err := newSessionOptions(sc, log)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	s, err := ort.NewDynamicAdvancedSession(path, names(m.inputs), names(m.outputs), so)
	if err != nil {
		return nil, fmt.Errorf("creating session: %w", err)
	}
	m.session = s
	m.runSlots = make(chan *runSlot, runOptionsKept)
	return m, nil
}

// readIO asks the runtime for the model's inputs and outputs. The binding
// offers this only through a session of its own, so it loads the model once
// more, without optimizations, and lets it go.
func readIO(path string) ([]ort.InputOutputInfo, []ort.InputOutputInfo, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, nil, fmt.Errorf("creating session options: %w", err)
	}
	defer so.Destroy()
	if err := so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelDisableAll); err != nil {
		return nil, nil, fmt.Errorf("setting graph optimization level: %w", err)
	}
	if err := so.SetIntraOpNumThreads(1); err != nil {
		return nil, nil, fmt.Errorf("setting intra-op threads: %w", err)
	}
	in, out, err := ort.GetInputOutputInfoWithOptions(path, so)
	if err != nil {
		return nil, nil, fmt.Errorf("reading inputs and outputs: %w", err)
	}
	return in, out, nil
}

// tensorInfo describes one input or output the berth way: symbolic and
// unknown dimensions become -1, and sequences and maps (of sklearn's
// ZipMap) become a [flavors.Map] with one row per batch entry.
func tensorInfo(info ort.InputOutputInfo) (flavors.TensorInfo, error) {
	ti := flavors.TensorInfo{Name: info.Name}
	switch info.OrtValueType {
	case ort.ONNXTypeTensor:
		dt, ok := elemDTypes[info.DataType]
		if !ok {
			return ti, fmt.Errorf("element type %s is not supported by berth", info.DataType)
		}
		ti.DType = dt
		ti.Shape = make([]int64, len(info.Dimensions))
		for i, d := range info.Dimensions {
			ti.Shape[i] = max(d, -1)
		}
	case ort.ONNXTypeSequence:
		ti.DType, ti.Shape = flavors.Map, []int64{-1}
	case ort.ONNXTypeMap:
		ti.DType, ti.Shape = flavors.Map, []int64{1}
	default:
		return ti, fmt.Errorf("ONNX type %s is not supported by berth", info.OrtValueType)
	}
	return ti, nil
}

func planFor(ti flavors.TensorInfo) outPlan {
	fixed := !slices.Contains(ti.Shape, -1)
	switch ti.DType {
	case flavors.Float16, flavors.BFloat16:
		if fixed {
			return outPrealloc
		}
		return outShaped
	case flavors.String, flavors.Map:
		return outRuntime
	}
	if len(ti.Shape) == 0 {
		return outPrealloc
	}
	return outGuess
}

// planShapes works out how to size the outputs planned outShaped.
func (m *Model) planShapes(path string) error {
	inDims, outDims, err := readDimNames(path)
	if err != nil {
		if !slices.Contains(m.plans, outShaped) {
			m.downgradeGuesses()
			return nil
		}
		return err
	}
	inNames := make([][]string, len(m.inputs))
	for i, in := range m.inputs {
		inNames[i] = inDims[in.Name]
	}
	m.inDims = inNames
	m.recipes = make([][]dimSource, len(m.outputs))
	for j, p := range m.plans {
		if p != outShaped && p != outGuess {
			continue
		}
		out := m.outputs[j]
		if m.recipes[j], err = shapeRecipe(out.Shape, outDims[out.Name], inNames); err != nil && p == outGuess {
			m.plans[j] = outRuntime
			continue
		}
		if err != nil {
			return fmt.Errorf("output %q is %s of shape %v, which onnxruntime_go v1.27.0 cannot take from "+
				"the runtime, and berth cannot size it beforehand: %w", out.Name, out.DType, out.Shape, err)
		}
	}
	return nil
}

// downgradeGuesses leaves every guessed output to the runtime.
func (m *Model) downgradeGuesses() {
	for j, p := range m.plans {
		if p == outGuess {
			m.plans[j] = outRuntime
		}
	}
}

func names(infos []flavors.TensorInfo) []string {
	out := make([]string, len(infos))
	for i, ti := range infos {
		out[i] = ti.Name
	}
	return out
}

func cloneInfos(infos []flavors.TensorInfo) []flavors.TensorInfo {
	out := make([]flavors.TensorInfo, len(infos))
	for i, ti := range infos {
		out[i] = flavors.TensorInfo{Name: ti.Name, DType: ti.DType, Shape: slices.Clone(ti.Shape)}
	}
	return out
}

// Inputs describes the model's inputs in the model's order.
func (m *Model) Inputs() []flavors.TensorInfo { return cloneInfos(m.inputs) }

// Outputs describes the model's outputs in the model's order. A sequence
// of maps (sklearn's output_probability) has DType [flavors.Map].
func (m *Model) Outputs() []flavors.TensorInfo { return cloneInfos(m.outputs) }

// Path returns the model file the session was loaded from.
func (m *Model) Path() string { return m.path }

// SessionConfig returns the settings the session was created with.
func (m *Model) SessionConfig() SessionConfig { return m.config }

// Close releases the session once running Predict calls have finished.
// Later calls to Predict return [ErrClosed]; Close may be called again.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.session == nil {
		return nil
	}
	err := m.session.Destroy()
	m.session = nil
	for {
		select {
		case rs := <-m.runSlots:
			rs.ro.Destroy()
			continue
		default:
		}
		break
	}
	if err != nil {
		return fmt.Errorf("closing onnx session: %w", err)
	}
	return nil
}
