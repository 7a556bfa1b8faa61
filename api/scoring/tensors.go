package scoring

import (
	"errors"
	"fmt"
	"strings"

	"github.com/berthml/berth/flavors"
)

// nestedShape infers the shape of the nested lists at root and appends
// their leaves to leaves in row-major order. Lists of unequal lengths (or a
// list where a value should be, or the reverse) are ragged: why says where.
// It gives the dense arrays under root their nodes: it is the general
// path, which [denseShape] spares a well-formed tensor of numbers.
func nestedShape(d *doc, root int32, leaves []int32) (shape []int64, out []int32, why string) {
	d.expandTree(root)
	for i := root; d.nodes[i].kind == kindArray; {
		n := d.nodes[i].n
		shape = append(shape, int64(n))
		if n == 0 {
			break
		}
		i = d.nodes[i].head
	}
	if leaves == nil { // one allocation of the size the first row implies
		total := int64(1)
		for _, n := range shape {
			total *= max(n, 1)
			if total > int64(len(d.nodes)) {
				total = int64(len(d.nodes))
				break
			}
		}
		leaves = make([]int32, 0, total)
	}
	var idx []int64
	var walk func(i int32, depth int) string
	walk = func(i int32, depth int) string {
		n := &d.nodes[i]
		if depth == len(shape) {
			if n.kind == kindArray {
				return fmt.Sprintf("the value at %s is a list where the first row has a single value", pyIndex(idx))
			}
			leaves = append(leaves, i)
			return ""
		}
		if n.kind != kindArray {
			return fmt.Sprintf("the value at %s is %s where the first row has a list of %d", pyIndex(idx),
				kindName(d, i), shape[depth])
		}
		if int64(n.n) != shape[depth] {
			return fmt.Sprintf("the list at %s has %d values where the first has %d (ragged rows)", pyIndex(idx),
				n.n, shape[depth])
		}
		idx = append(idx, 0)
		if depth == len(shape)-1 { // the innermost lists: their values are the leaves
			for c := n.head; c >= 0; c = d.nodes[c].next {
				if d.nodes[c].kind == kindArray {
					return fmt.Sprintf("the value at %s is a list where the first row has a single value", pyIndex(idx))
				}
				leaves = append(leaves, c)
				idx[len(idx)-1]++
			}
			idx = idx[:len(idx)-1]
			return ""
		}
		for c := n.head; c >= 0; c = d.nodes[c].next {
			if why := walk(c, depth+1); why != "" {
				return why
			}
			idx[len(idx)-1]++
		}
		idx = idx[:len(idx)-1]
		return ""
	}
	why = walk(root, 0)
	return shape, leaves, why
}

// denseShape is nestedShape's fast path: when the nested lists at root
// are regular and every innermost list is a dense array, their values are
// one span of d.nums, nums[lo:hi], in row-major order (dense arrays are
// numbered in document order). ok is false for anything else, which
// nestedShape then reads (and words any problem of).
func denseShape(d *doc, root int32) (shape []int64, lo, hi int32, ok bool) {
	rank := 0 // counted first: the shape is then one allocation
	for i := root; ; {
		n := &d.nodes[i]
		if n.kind != kindArray || n.n == 0 {
			return nil, 0, 0, false
		}
		rank++
		if n.flags&flagDense != 0 {
			break
		}
		i = n.head
	}
	shape = make([]int64, 0, rank)
	for i := root; len(shape) < rank; i = d.nodes[i].head {
		shape = append(shape, int64(d.nodes[i].n))
	}
	w := denseWalk{d: d, shape: shape, lo: -1}
	if !w.walk(root, 0) {
		return nil, 0, 0, false
	}
	return shape, w.lo, w.hi, true
}

type denseWalk struct {
	d      *doc
	shape  []int64
	lo, hi int32
}

func (w *denseWalk) walk(i int32, depth int) bool {
	n := &w.d.nodes[i]
	if n.kind != kindArray || int64(n.n) != w.shape[depth] {
		return false
	}
	if depth == len(w.shape)-1 {
		if n.flags&flagDense == 0 || (w.lo >= 0 && n.head != w.hi) {
			return false
		}
		if w.lo < 0 {
			w.lo = n.head
		}
		w.hi = n.head + n.n
		return true
	}
	if n.flags&flagDense != 0 {
		return false
	}
	for c := n.head; c >= 0; c = w.d.nodes[c].next {
		if !w.walk(c, depth+1) {
			return false
		}
	}
	return true
}

func pyIndex(idx []int64) string {
	if len(idx) == 0 {
		return "the top"
	}
	var b strings.Builder
	for _, i := range idx {
		fmt.Fprintf(&b, "[%d]", i)
	}
	return b.String()
}

// fitShape checks got against want (-1 matches any size; nil want matches
// anything). For a dataframe (frame), a trailing dimension of 1 may be
// added or dropped: a single column feeds a [N] or an [N, 1] input.
func fitShape(got, want []int64, frame bool) ([]int64, bool) {
	if want == nil {
		return got, true
	}
	if frame {
		switch {
		case len(got) == len(want)+1 && got[len(got)-1] == 1:
			got = got[:len(got)-1]
		case len(got)+1 == len(want) && (want[len(want)-1] == 1 || want[len(want)-1] == -1):
			got = append(got[:len(got):len(got)], 1)
		}
	}
	if len(got) != len(want) {
		return got, false
	}
	for i, w := range want {
		if w >= 0 && got[i] != w {
			return got, false
		}
	}
	return got, true
}

// fromNested feeds the single field (or the only one) the nested lists at v.
func (dec *Decoder) fromNested(d *doc, v int32, req *Request, frame bool) error {
	f := &dec.fields[0]
	if shape, lo, hi, ok := denseShape(d, v); ok {
		if err := dec.finishDense(d, f, shape, d.nums[lo:hi], frame, req); err != errNotDense {
			return err
		}
	}
	shape, leaves, why := nestedShape(d, v, nil)
	if why != "" {
		return badRequest("Invalid input for %s: %s", f.label(), why)
	}
	if len(shape) > 0 && shape[0] == 0 {
		return invalidParam("Failed to enforce schema of data with schema %s. Error: the input for %s is empty.",
			dec.schemaString(), f.label())
	}
	return dec.finishTensor(d, f, shape, leaves, frame, req)
}

// fromTensorDict reads {"name": nested lists, ...} for named tensors.
func (dec *Decoder) fromTensorDict(d *doc, v int32, req *Request) error {
	vals := make([]int32, len(dec.fields))
	for fi := range dec.fields {
		vals[fi] = d.member(v, dec.fields[fi].name)
	}
	if err := dec.missingError(func(fi int) bool { return vals[fi] >= 0 }); err != nil {
		return err
	}
	for fi := range dec.fields {
		f := &dec.fields[fi]
		if shape, lo, hi, ok := denseShape(d, vals[fi]); ok {
			err := dec.finishDense(d, f, shape, d.nums[lo:hi], false, req)
			if err == errNotDense {
				err = nil
			} else if err != nil {
				return err
			} else {
				continue
			}
		}
		shape, leaves, why := nestedShape(d, vals[fi], nil)
		if why != "" {
			return badRequest("Invalid input for %s: %s", f.label(), why)
		}
		if err := dec.finishTensor(d, f, shape, leaves, false, req); err != nil {
			return err
		}
	}
	return nil
}

// errNotDense says the dense path cannot convert a tensor's values
// without a problem (or at all): the general path then reads it again
// from its nodes, and words the problem.
var errNotDense = errors.New("not on the dense path")

// finishDense is finishTensor for values already converted to float64
// (vals, from the dense arrays of a well-formed tensor): the same shape
// checks, then the values straight into the input's dtype. It returns
// errNotDense when a value needs the general path (a fraction or an
// out-of-range value for an integer input, a boolean or string input).
func (dec *Decoder) finishDense(d *doc, f *field, shape []int64, vals []float64, frame bool, req *Request) error {
	in := &dec.inputs[f.input].info
	if !denseConvertible(f.typ, in.DType) {
		return errNotDense
	}
	shape, err := dec.checkShape(f, in, shape, frame)
	if err != nil {
		return err
	}
	data, ok := convertDense(vals, f.typ, in.DType)
	if !ok {
		return errNotDense
	}
	dec.addInput(req, in, shape, data)
	return nil
}

// finishTensor checks a field's shape against its spec and its model
// input, converts its leaves to the input's dtype and adds the tensor to
// req.
func (dec *Decoder) finishTensor(d *doc, f *field, shape []int64, leaves []int32, frame bool, req *Request) error {
	in := &dec.inputs[f.input].info
	shape, err := dec.checkShape(f, in, shape, frame)
	if err != nil {
		return err
	}
	data, bad, why := convert(d, leaves, f.typ, in.DType)
	if why != "" {
		at := pyIndex(unflatten(bad, shape))
		if why == "null" {
			return badRequest("Invalid input. %s has a null value at %s; the model requires %s values",
				upperFirst(f.label()), at, f.typ.dtype)
		}
		return badRequest("Invalid input. Failed to convert %s to type '%s': %s (at %s)", f.label(), f.typ.dtype, why, at)
	}
	dec.addInput(req, in, shape, data)
	return nil
}

// checkShape fits a tensor's shape to its field's spec and its model
// input.
func (dec *Decoder) checkShape(f *field, in *flavors.TensorInfo, shape []int64, frame bool) ([]int64, error) {
	if f.shape != nil {
		var ok bool
		if shape, ok = fitShape(shape, f.shape, frame); !ok {
			return nil, invalidParam("Failed to enforce schema of data with schema %s. Error: Shape of input %s%s "+
				"does not match expected shape %s.", dec.schemaString(), namePrefix(f.name), pyShape(shape), pyShape(f.shape))
		}
	}
	return dec.fitModel(in, shape, frame)
}

func (dec *Decoder) fitModel(in *flavors.TensorInfo, shape []int64, frame bool) ([]int64, error) {
	got, ok := fitShape(shape, in.Shape, frame)
	if !ok {
		return nil, invalidParam("Shape of input %s for model input '%s' does not match expected shape %s.",
			pyShape(got), in.Name, pyShape(in.Shape))
	}
	return got, nil
}

func (dec *Decoder) addInput(req *Request, in *flavors.TensorInfo, shape []int64, data any) {
	if len(req.Inputs) == 0 {
		req.Rows = 1
		if len(shape) > 0 {
			req.Rows = int(shape[0])
		}
		if len(dec.inputs) == 1 { // the common model: the slice and its tensor in one allocation
			one := &struct {
				p [1]*flavors.Tensor
				t flavors.Tensor
			}{t: flavors.Tensor{Name: in.Name, DType: in.DType, Shape: shape, Data: data}}
			one.p[0] = &one.t
			req.Inputs = one.p[:]
			return
		}
		req.Inputs = make([]*flavors.Tensor, len(dec.inputs))
	}
	req.Inputs[dec.inputIndex(in.Name)] = &flavors.Tensor{Name: in.Name, DType: in.DType, Shape: shape, Data: data}
}

func namePrefix(name string) string {
	if name == "" {
		return ""
	}
	return "'" + name + "' "
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func unflatten(pos int, shape []int64) []int64 {
	idx := make([]int64, len(shape))
	p := int64(pos)
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] > 0 {
			idx[i] = p % shape[i]
			p /= shape[i]
		}
	}
	return idx
}

func equalShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
