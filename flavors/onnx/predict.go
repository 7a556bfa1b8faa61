package onnx

import (
	"context"
	"fmt"
	"reflect"

	"github.com/berthml/berth/flavors"
	ort "github.com/yalue/onnxruntime_go"
)

// Predict runs the model on inputs, matched to the model's inputs by name
// (a single unnamed tensor feeds a single-input model), and returns the
// outputs named, or all outputs in the model's order when outputs is
// empty. Inputs whose names, dtypes or shapes do not fit the model give a
// *[flavors.InputError], as does an unknown output name. Numeric input
// data is handed to the runtime without copying and must not change until
// Predict returns. Cancelling ctx stops a running inference.
func (m *Model) Predict(ctx context.Context, inputs []*flavors.Tensor, outputs []string) ([]*flavors.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	want, err := m.selectOutputs(outputs)
	if err != nil {
		return nil, err
	}
	ordered, err := m.matchInputs(inputs)
	if err != nil {
		return nil, err
	}

	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.session == nil {
		return nil, ErrClosed
	}
	in := make([]ort.Value, len(ordered))
	defer destroyAll(in)
	for i, t := range ordered {
		if in[i], err = newInputValue(t); err != nil {
			return nil, fmt.Errorf("creating input %q: %w", t.Name, err)
		}
	}
	out := make([]ort.Value, len(m.outputs))
	defer destroyAll(out)
	guessed, err := m.run(ctx, ordered, in, out)
	if err != nil && guessed && ctx.Err() == nil {
		// A guessed output shape may be what failed: run again with the
		// runtime allocating every output, and stop guessing if that works.
		destroyAll(out)
		clear(out)
		if _, err = m.runWith(ctx, ordered, in, out, false); err == nil {
			m.noGuess.Store(true)
		}
	}
	if err != nil {
		if ierr := m.rowsDiffer(ordered); ierr != nil && ctx.Err() == nil {
			return nil, ierr
		}
		return nil, err
	}
	result := make([]*flavors.Tensor, len(want))
	for i, j := range want {
		if result[i], err = toTensor(m.outputs[j], out[j]); err != nil {
			return nil, err
		}
	}
	return result, nil
}

// run fills out (one nil entry per output) by running the session on in,
// made from the tensors ordered, and says whether it guessed output shapes.
func (m *Model) run(ctx context.Context, ordered []*flavors.Tensor, in, out []ort.Value) (bool, error) {
	return m.runWith(ctx, ordered, in, out, !m.noGuess.Load())
}

func (m *Model) runWith(ctx context.Context, ordered []*flavors.Tensor, in, out []ort.Value, guess bool) (bool, error) {
	guessed := false
	for j, p := range m.plans {
		info := m.outputs[j]
		shape := info.Shape
		switch p {
		case outRuntime:
			continue
		case outGuess:
			if !guess {
				continue
			}
			shape = m.shapeFor(j, ordered)
			if flavors.NumElements(shape) == 0 {
				continue
			}
			guessed = true
		case outShaped:
			shape = m.shapeFor(j, ordered)
		}
		var err error
		if out[j], err = newOutputValue(info.DType, shape); err != nil {
			return guessed, fmt.Errorf("creating output %q of shape %v: %w", info.Name, shape, err)
		}
	}
	return guessed, m.runOnce(ctx, in, out)
}

// shapeFor works out output j's shape from its recipe and the inputs.
func (m *Model) shapeFor(j int, ordered []*flavors.Tensor) []int64 {
	shape := make([]int64, len(m.recipes[j]))
	for i, d := range m.recipes[j] {
		if shape[i] = d.fixed; d.input >= 0 {
			shape[i] = ordered[d.input].Shape[d.dim]
		}
	}
	return shape
}

// runOnce runs the session once, stopping it through ONNX Runtime's
// terminate flag when ctx is cancelled.
func (m *Model) runOnce(ctx context.Context, in, out []ort.Value) error {
	if ctx.Done() == nil {
		if err := m.session.Run(in, out); err != nil {
			return fmt.Errorf("running onnx model: %w", err)
		}
		return nil
	}
	ro, err := m.getRunOptions()
	if err != nil {
		return fmt.Errorf("creating run options: %w", err)
	}
	terminated := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(terminated)
		ro.Terminate()
	})
	err = m.session.RunWithOptions(in, out, ro)
	cancelled := !stop()
	if cancelled { // Terminate ran or is running
		<-terminated
	}
	m.putRunOptions(ro, cancelled)
	if cancelled && err != nil {
		return fmt.Errorf("running onnx model: %w", context.Cause(ctx))
	}
	if err != nil {
		return fmt.Errorf("running onnx model: %w", err)
	}
	return nil
}

// getRunOptions takes idle run options, or makes new ones: creating them
// costs two calls into the runtime on every request otherwise.
func (m *Model) getRunOptions() (*ort.RunOptions, error) {
	select {
	case ro := <-m.runOpts:
		return ro, nil
	default:
		return ort.NewRunOptions()
	}
}

// putRunOptions keeps ro for reuse, clearing its terminate flag if it was
// set, or destroys it when enough are kept.
func (m *Model) putRunOptions(ro *ort.RunOptions, terminated bool) {
	if terminated && ro.UnsetTerminate() != nil {
		ro.Destroy()
		return
	}
	select {
	case m.runOpts <- ro:
	default:
		ro.Destroy()
	}
}

// matchInputs checks inputs against the model and puts them in the
// model's order.
func (m *Model) matchInputs(inputs []*flavors.Tensor) ([]*flavors.Tensor, error) {
	ordered := make([]*flavors.Tensor, len(m.inputs))
	for _, t := range inputs {
		if t == nil {
			return nil, &flavors.InputError{Msg: "nil input tensor"}
		}
		i, ok := m.inIdx[t.Name]
		if !ok {
			if t.Name != "" || len(m.inputs) != 1 || len(inputs) != 1 {
				return nil, &flavors.InputError{Field: t.Name,
					Msg: fmt.Sprintf("unknown input; the model's inputs are %q", names(m.inputs))}
			}
			i = 0
		}
		info := m.inputs[i]
		if ordered[i] != nil {
			return nil, &flavors.InputError{Field: info.Name, Msg: "given more than once"}
		}
		if t.DType != info.DType {
			return nil, &flavors.InputError{Field: info.Name,
				Msg: fmt.Sprintf("dtype %s does not match the model's %s", t.DType, info.DType)}
		}
		if !shapeFits(t.Shape, info.Shape) {
			return nil, &flavors.InputError{Field: info.Name,
				Msg: fmt.Sprintf("shape %v does not match the model's %v", t.Shape, info.Shape)}
		}
		if err := t.Validate(); err != nil {
			return nil, &flavors.InputError{Field: info.Name, Msg: err.Error()}
		}
		ordered[i] = t
	}
	for i, t := range ordered {
		if t == nil {
			info := m.inputs[i]
			return nil, &flavors.InputError{Field: info.Name,
				Msg: fmt.Sprintf("missing; the model wants %s %v", info.DType, info.Shape)}
		}
	}
	if err := m.checkSharedDims(ordered); err != nil {
		return nil, err
	}
	return ordered, nil
}

// checkSharedDims refuses inputs whose dimensions that the model names
// alike ("batch", "N") have different sizes, before the runtime fails on
// them with its own words.
func (m *Model) checkSharedDims(ordered []*flavors.Tensor) error {
	if len(ordered) < 2 || len(m.inDims) != len(ordered) {
		return nil
	}
	type seen struct {
		input, dim int
	}
	first := map[string]seen{}
	for i, names := range m.inDims {
		for d, name := range names {
			if name == "" || d >= len(ordered[i].Shape) {
				continue
			}
			f, ok := first[name]
			if !ok {
				first[name] = seen{i, d}
				continue
			}
			if a, b := ordered[f.input].Shape[f.dim], ordered[i].Shape[d]; a != b {
				return dimMismatch(m.inputs[f.input].Name, f.dim, a, m.inputs[i].Name, d, b, name)
			}
		}
	}
	return nil
}

// rowsDiffer explains a failed run whose inputs, all with a dynamic first
// dimension, do not have the same number of rows: a client's mistake that
// the runtime reports in its own terms. It returns nil when the rows agree.
func (m *Model) rowsDiffer(ordered []*flavors.Tensor) error {
	if len(ordered) < 2 {
		return nil
	}
	for i, t := range ordered {
		if len(t.Shape) == 0 || len(m.inputs[i].Shape) == 0 || m.inputs[i].Shape[0] >= 0 {
			return nil
		}
		if t.Shape[0] != ordered[0].Shape[0] {
			return dimMismatch(m.inputs[0].Name, 0, ordered[0].Shape[0], m.inputs[i].Name, 0, t.Shape[0], "")
		}
	}
	return nil
}

func dimMismatch(a string, da int, na int64, b string, db int, nb int64, name string) error {
	if da == 0 && db == 0 {
		return &flavors.InputError{Msg: fmt.Sprintf(
			"inputs %q and %q have different numbers of rows (%d and %d): give every input the same number of rows", a, b, na, nb)}
	}
	return &flavors.InputError{Msg: fmt.Sprintf(
		"inputs %q and %q disagree on dimension %q (%d in %q's dimension %d, %d in %q's dimension %d)",
		a, b, name, na, a, da, nb, b, db)}
}

// shapeFits reports whether shape has the model's rank and its fixed
// dimensions.
func shapeFits(shape, model []int64) bool {
	if len(shape) != len(model) {
		return false
	}
	for i, d := range model {
		if d >= 0 && shape[i] != d {
			return false
		}
	}
	return true
}

// selectOutputs turns output names into indices into m.outputs.
func (m *Model) selectOutputs(outputs []string) ([]int, error) {
	if len(outputs) == 0 {
		return m.all, nil
	}
	want := make([]int, len(outputs))
	for i, name := range outputs {
		j, ok := m.outIdx[name]
		if !ok {
			return nil, &flavors.InputError{Field: name,
				Msg: fmt.Sprintf("unknown output; the model's outputs are %q", names(m.outputs))}
		}
		want[i] = j
	}
	return want, nil
}

// destroyAll destroys values and clears the slice. The binding may leave
// a typed nil among outputs it failed to convert.
func destroyAll(values []ort.Value) {
	for i, v := range values {
		if v != nil && !reflect.ValueOf(v).IsNil() {
			v.Destroy()
		}
		values[i] = nil
	}
}
