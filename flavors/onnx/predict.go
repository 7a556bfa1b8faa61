package onnx

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

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
	return m.PredictBefore(ctx, time.Time{}, inputs, outputs)
}

var _ flavors.DeadlinePredictor = (*Model)(nil)

// PredictBefore is [Model.Predict] whose run stops at deadline (none when
// zero), through ONNX Runtime's terminate flag set by a timer that each
// set of run options keeps for reuse, with an error that wraps
// [context.DeadlineExceeded].
func (m *Model) PredictBefore(ctx context.Context, deadline time.Time, inputs []*flavors.Tensor, outputs []string) ([]*flavors.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !deadline.IsZero() && !time.Now().Before(deadline) {
		return nil, context.DeadlineExceeded
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
	// The values and shapes of a model with a few inputs and outputs live
	// on the stack (the binding keeps neither slice).
	var inBuf, outBuf [smallIO]ort.Value
	var shapeBuf [smallIO][]int64
	in, out, shapes := inBuf[:0], outBuf[:0], shapeBuf[:0]
	if len(ordered) > smallIO || len(m.outputs) > smallIO {
		in, out, shapes = nil, nil, nil
	}
	in = append(in, make([]ort.Value, len(ordered))...)
	out = append(out, make([]ort.Value, len(m.outputs))...)
	shapes = append(shapes, make([][]int64, len(m.outputs))...)
	defer destroyAll(in)
	for i, t := range ordered {
		if in[i], err = newInputValue(t); err != nil {
			return nil, fmt.Errorf("creating input %q: %w", t.Name, err)
		}
	}
	defer destroyAll(out)
	guessed, err := m.runWith(ctx, deadline, ordered, in, out, shapes, !m.noGuess.Load())
	if err != nil && guessed && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
		// A guessed output shape may be what failed: run again with the
		// runtime allocating every output, and stop guessing if that works.
		destroyAll(out)
		if _, err = m.runWith(ctx, deadline, ordered, in, out, shapes, false); err == nil {
			m.noGuess.Store(true)
		}
	}
	if err != nil {
		if ierr := m.rowsDiffer(ordered); ierr != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, ierr
		}
		if ierr := emptyInput(ordered, err); ierr != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, ierr
		}
		return nil, err
	}
	tensors, result := outputSlices(len(want))
	for i, j := range want {
		if err = fillTensor(&tensors[i], m.outputs[j], out[j], shapes[j]); err != nil {
			return nil, err
		}
		result[i] = &tensors[i]
	}
	return result, nil
}

// smallIO is how many inputs and outputs Predict keeps on the stack.
const smallIO = 4

// outputSlices returns n output tensors and the slice of pointers that
// Predict returns, in one allocation for up to smallIO of them.
func outputSlices(n int) ([]flavors.Tensor, []*flavors.Tensor) {
	if n > smallIO {
		return make([]flavors.Tensor, n), make([]*flavors.Tensor, n)
	}
	b := new(struct {
		p [smallIO]*flavors.Tensor
		t [smallIO]flavors.Tensor
	})
	return b.t[:n:n], b.p[:n:n]
}

// runWith fills out (one nil entry per output) by running the session on
// in, made from the tensors ordered, and says whether it guessed output
// shapes. It sets shapes[j] to the shape of each output it allocates (nil
// for those the runtime allocates).
func (m *Model) runWith(ctx context.Context, deadline time.Time, ordered []*flavors.Tensor, in, out []ort.Value, shapes [][]int64, guess bool) (bool, error) {
	clear(shapes)
	var dims []int64 // the shapes worked out, in one allocation
	guessed := false
	for j, p := range m.plans {
		switch p {
		case outRuntime:
			continue
		case outPrealloc:
			// The model's own shape: the caller gets a copy (shapes[j]
			// stays nil).
			if err := m.newOutput(out, j, m.outputs[j].Shape); err != nil {
				return guessed, err
			}
			continue
		case outGuess:
			if !guess {
				continue
			}
			dims = m.shapeFor(j, ordered, dims)
			if flavors.NumElements(dims[len(dims)-len(m.recipes[j]):]) == 0 {
				continue
			}
			guessed = true
		case outShaped:
			dims = m.shapeFor(j, ordered, dims)
		}
		shapes[j] = dims[len(dims)-len(m.recipes[j]) : len(dims) : len(dims)]
		if err := m.newOutput(out, j, shapes[j]); err != nil {
			return guessed, err
		}
	}
	return guessed, m.runOnce(ctx, deadline, in, out)
}

// newOutput preallocates output j with shape.
func (m *Model) newOutput(out []ort.Value, j int, shape []int64) error {
	var err error
	if out[j], err = newOutputValue(m.outputs[j].DType, shape); err != nil {
		return fmt.Errorf("creating output %q of shape %v: %w", m.outputs[j].Name, shape, err)
	}
	return nil
}

// shapeFor appends output j's shape, worked out from its recipe and the
// inputs, to dims. The first call sizes dims for every output with a
// recipe, so the shapes share one array that is never reallocated.
func (m *Model) shapeFor(j int, ordered []*flavors.Tensor, dims []int64) []int64 {
	if dims == nil {
		n := 0
		for _, r := range m.recipes {
			n += len(r)
		}
		dims = make([]int64, 0, n)
	}
	for _, d := range m.recipes[j] {
		n := d.fixed
		if d.input >= 0 {
			n = ordered[d.input].Shape[d.dim]
		}
		dims = append(dims, n)
	}
	return dims
}

// runOnce runs the session once, stopping it through ONNX Runtime's
// terminate flag when ctx is cancelled or at deadline (none when zero).
func (m *Model) runOnce(ctx context.Context, deadline time.Time, in, out []ort.Value) error {
	if ctx.Done() == nil && deadline.IsZero() {
		if err := m.session.Run(in, out); err != nil {
			return fmt.Errorf("running onnx model: %w", err)
		}
		return nil
	}
	rs, err := m.getRunSlot()
	if err != nil {
		return fmt.Errorf("creating run options: %w", err)
	}
	stop := func() bool { return true }
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, rs.terminate)
	}
	if !deadline.IsZero() {
		rs.timer.Reset(time.Until(deadline))
	}
	err = m.session.RunWithOptions(in, out, rs.ro)
	cancelled := !stop()
	timedOut := !deadline.IsZero() && !rs.timer.Stop()
	// Terminate ran or is running once for each of them.
	if cancelled {
		<-rs.terminated
	}
	if timedOut {
		<-rs.terminated
	}
	m.putRunSlot(rs, cancelled || timedOut)
	switch {
	case err == nil:
		return nil
	case cancelled:
		return fmt.Errorf("running onnx model: %w", context.Cause(ctx))
	case timedOut:
		return fmt.Errorf("running onnx model: %w", context.DeadlineExceeded)
	}
	return fmt.Errorf("running onnx model: %w", err)
}

// runSlot is a run's options and what stops the run through them, kept
// for reuse: making them costs two calls into the runtime and three
// allocations on every request otherwise, and a timer for a deadline.
type runSlot struct {
	ro         *ort.RunOptions
	terminated chan struct{} // receives each time terminate has run
	terminate  func()        // sets ro's terminate flag
	timer      *time.Timer   // runs terminate at a run's deadline; stopped between runs
}

func newRunSlot() (*runSlot, error) {
	ro, err := ort.NewRunOptions()
	if err != nil {
		return nil, err
	}
	// Both the context's AfterFunc and the timer may run terminate.
	rs := &runSlot{ro: ro, terminated: make(chan struct{}, 2)}
	rs.terminate = func() {
		rs.ro.Terminate()
		rs.terminated <- struct{}{}
	}
	rs.timer = time.AfterFunc(time.Hour, rs.terminate)
	rs.timer.Stop()
	return rs, nil
}

// getRunSlot takes an idle run slot, or makes a new one.
func (m *Model) getRunSlot() (*runSlot, error) {
	select {
	case rs := <-m.runSlots:
		return rs, nil
	default:
		return newRunSlot()
	}
}

// putRunSlot keeps rs for reuse, clearing its terminate flag if it was
// set, or destroys it when enough are kept.
func (m *Model) putRunSlot(rs *runSlot, terminated bool) {
	if terminated && rs.ro.UnsetTerminate() != nil {
		rs.ro.Destroy()
		return
	}
	select {
	case m.runSlots <- rs:
	default:
		rs.ro.Destroy()
	}
}

// matchInputs checks inputs against the model and puts them in the
// model's order.
func (m *Model) matchInputs(inputs []*flavors.Tensor) ([]*flavors.Tensor, error) {
	// The decoders give every input in the model's order: then inputs is
	// checked and used as it is, with no slice made.
	inPlace := len(inputs) == len(m.inputs)
	for i := 0; inPlace && i < len(inputs); i++ {
		inPlace = inputs[i] != nil && inputs[i].Name == m.inputs[i].Name
	}
	ordered := inputs
	if !inPlace {
		ordered = make([]*flavors.Tensor, len(m.inputs))
	}
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
		if !inPlace && ordered[i] != nil { // (in place, the names are the model's, each once)
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
		if !inPlace {
			ordered[i] = t
		}
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

// emptyInput explains a failed run on an input without elements (a
// dimension of 0), which many graphs cannot run: the client sent nothing
// to run on. It returns nil when every input has elements.
func emptyInput(ordered []*flavors.Tensor, err error) error {
	for _, t := range ordered {
		if slices.Contains(t.Shape, 0) {
			return &flavors.InputError{Field: t.Name, Msg: fmt.Sprintf(
				"has no elements (shape %v), and the model cannot run on it: %v", t.Shape, err)}
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
	all := len(outputs) == 0 || len(outputs) == len(m.outputs)
	for j := 0; all && j < len(outputs); j++ {
		all = outputs[j] == m.outputs[j].Name
	}
	if all { // every output in the model's order, as signatures name them
		return m.all, nil
	}
	want := make([]int, len(outputs))
	for i, name := range outputs {
		j, ok := m.outIdx[name]
		if !ok {
			return nil, &flavors.InputError{ // about the request, not one of its inputs: no Field
				Msg: fmt.Sprintf("unknown output %q; the model's outputs are %q", name, names(m.outputs))}
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
