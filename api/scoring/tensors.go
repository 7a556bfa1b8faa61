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
	t := flavors.Tensor{Name: in.Name, DType: in.DType, Shape: shape, Data: data}
	if len(req.Inputs) == 0 {
		req.Rows = 1
		if len(shape) > 0 {
			req.Rows = int(shape[0])
		}
		if len(dec.inputs) == 1 { // the common model: the slice and its tensor in one allocation
			one := &struct {
				p [1]*flavors.Tensor
				t flavors.Tensor
			}{t: t}
			one.p[0] = &one.t
			req.Inputs = one.p[:]
			return
		}
		req.Inputs = make([]*flavors.Tensor, len(dec.inputs))
	}
	req.Inputs[dec.inputIndex(in.Name)] = &t
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

// fromGrid feeds the model inputs from a grid of the decoder's fields.
func (dec *Decoder) fromGrid(d *doc, g *grid, req *Request) error {
	for ii := range dec.inputs {
		var err error
		if dec.mode == modeColumns {
			err = dec.stackColumns(d, g, ii, req)
		} else {
			err = dec.tensorColumn(d, g, dec.inputs[ii].fields[0], req)
		}
		if err != nil {
			return err
		}
	}
	req.Rows = g.rows
	return nil
}

// stackColumns lays the columns that feed model input ii side by side: a
// single column of values is [N], several (or lists) are [N, width].
func (dec *Decoder) stackColumns(d *doc, g *grid, ii int, req *Request) error {
	in := &dec.inputs[ii]
	widths := make([]int, len(in.fields))
	total := 0
	for k, fi := range in.fields {
		f := &dec.fields[fi]
		widths[k] = 1
		if f.array {
			w := -1
			for r := 0; r < g.rows && w < 0; r++ {
				if c := g.cells[r*g.cols+fi]; c >= 0 && d.nodes[c].kind == kindArray {
					w = int(d.nodes[c].n)
				}
			}
			if w < 0 {
				return badRequest("Invalid input. Column %s holds lists, and no row has one", f.name)
			}
			widths[k] = w
		}
		total += widths[k]
	}
	if g.rows*total > 4*len(d.nodes)+1024 {
		// Only absent optional list columns fill values the body does not
		// hold; refuse to blow a small body up into a huge tensor.
		return badRequest("Invalid input. %d rows of %d values are far more than the body holds; "+
			"send the optional list columns", g.rows, total)
	}
	leaves := make([]int32, 0, g.rows*total)
	for r := 0; r < g.rows; r++ {
		for k, fi := range in.fields {
			c := g.cells[r*g.cols+fi]
			switch {
			case c >= 0 && d.nodes[c].kind == kindNull && !dec.fields[fi].required:
				c = -1 // null in an optional column is a missing value
			case c >= 0 && d.nodes[c].kind == kindNull:
				f := &dec.fields[fi]
				return badRequest("Invalid input. Column %s has a null value in row %d; the model requires %s values",
					f.name, r, f.typ.dtype)
			}
			if !dec.fields[fi].array {
				leaves = append(leaves, c)
				continue
			}
			if c < 0 {
				for j := 0; j < widths[k]; j++ {
					leaves = append(leaves, -1)
				}
				continue
			}
			if d.nodes[c].kind != kindArray || int(d.nodes[c].n) != widths[k] {
				return badRequest("Invalid input. Column %s holds lists of %d values; row %d has %s",
					dec.fields[fi].name, widths[k], r, kindName(d, c))
			}
			for e := d.first(c); e >= 0; e = d.nodes[e].next {
				leaves = append(leaves, e)
			}
		}
	}
	shape := []int64{int64(g.rows), int64(total)}
	if len(in.fields) == 1 && !dec.fields[in.fields[0]].array {
		shape = shape[:1]
	}
	shape, err := dec.fitModel(&in.info, shape, true)
	if err != nil {
		return err
	}
	// Convert column by column so that a failure names its column; a
	// stacked input is converted through a strided view.
	if len(in.fields) == 1 {
		f := &dec.fields[in.fields[0]]
		data, bad, why := convert(d, leaves, f.typ, in.info.DType)
		if why != "" {
			return columnError(f, why, bad/total)
		}
		dec.addInput(req, &in.info, shape, data)
		return nil
	}
	data, bad, why := convertStacked(d, leaves, dec.fields, in.fields, widths, total, in.info.DType)
	if why != "" {
		fi, _ := fieldAt(in.fields, widths, bad%total)
		return columnError(&dec.fields[fi], why, bad/total)
	}
	dec.addInput(req, &in.info, shape, data)
	return nil
}

// convertStacked converts leaves of several columns laid side by side; all
// columns share the model input's dtype, but each reads per its own type.
func convertStacked(d *doc, leaves []int32, fields []field, fis []int, widths []int, total int,
	dst flavors.DType) (any, int, string) {
	same := true
	for _, fi := range fis[1:] {
		if fields[fi].typ != fields[fis[0]].typ {
			same = false
		}
	}
	if same {
		return convert(d, leaves, fields[fis[0]].typ, dst)
	}
	// Mixed column types: convert each column on its own, then interleave.
	out, err := flavors.MakeSlice(dst, len(leaves))
	if err != nil {
		return nil, 0, err.Error()
	}
	rows := len(leaves) / total
	off := 0
	for k, fi := range fis {
		col := make([]int32, 0, rows*widths[k])
		for r := 0; r < rows; r++ {
			col = append(col, leaves[r*total+off:r*total+off+widths[k]]...)
		}
		part, bad, why := convert(d, col, fields[fi].typ, dst)
		if why != "" {
			return nil, (bad/widths[k])*total + off + bad%widths[k], why
		}
		interleave(out, part, rows, total, off, widths[k])
		off += widths[k]
	}
	return out, -1, ""
}

func interleave(out, part any, rows, total, off, w int) {
	switch o := out.(type) {
	case []float32:
		interleaveT(o, part.([]float32), rows, total, off, w)
	case []float64:
		interleaveT(o, part.([]float64), rows, total, off, w)
	case []int8:
		interleaveT(o, part.([]int8), rows, total, off, w)
	case []int16:
		interleaveT(o, part.([]int16), rows, total, off, w)
	case []int32:
		interleaveT(o, part.([]int32), rows, total, off, w)
	case []int64:
		interleaveT(o, part.([]int64), rows, total, off, w)
	case []uint8:
		interleaveT(o, part.([]uint8), rows, total, off, w)
	case []uint16:
		interleaveT(o, part.([]uint16), rows, total, off, w)
	case []uint32:
		interleaveT(o, part.([]uint32), rows, total, off, w)
	case []uint64:
		interleaveT(o, part.([]uint64), rows, total, off, w)
	case []bool:
		interleaveT(o, part.([]bool), rows, total, off, w)
	case []string:
		interleaveT(o, part.([]string), rows, total, off, w)
	}
}

func interleaveT[T any](out, part []T, rows, total, off, w int) {
	for r := 0; r < rows; r++ {
		copy(out[r*total+off:r*total+off+w], part[r*w:(r+1)*w])
	}
}

// fieldAt returns the field at position pos of a stacked row.
func fieldAt(fis, widths []int, pos int) (int, int) {
	for k, fi := range fis {
		if pos < widths[k] {
			return fi, pos
		}
		pos -= widths[k]
	}
	return fis[len(fis)-1], pos
}

func columnError(f *field, why string, row int) error {
	if why == "null" {
		return badRequest("Invalid input. Column %s has a null value in row %d; the model requires %s values",
			f.name, row, f.typ.dtype)
	}
	return badRequest("Invalid input. Data is not compatible with model signature. Failed to convert column %s "+
		"to type '%s'. Error: %s (row %d)", f.name, f.typ.dtype, why, row)
}

// tensorColumn feeds a named tensor from its column of a grid: each cell
// is one row's value (a scalar or nested lists), stacked along a new
// leading batch dimension.
func (dec *Decoder) tensorColumn(d *doc, g *grid, fi int, req *Request) error {
	f := &dec.fields[fi]
	if shape, vals, ok := dec.denseColumn(d, g, fi); ok {
		if err := dec.finishDense(d, f, shape, vals, true, req); err != errNotDense {
			return err
		}
	}
	var cell []int64
	var leaves []int32
	for r := 0; r < g.rows; r++ {
		c := g.cells[r*g.cols+fi]
		s, l, why := nestedShape(d, c, leaves)
		if why != "" {
			return badRequest("Invalid input for %s in row %d: %s", f.label(), r, why)
		}
		leaves = l
		if r == 0 {
			cell = s
		} else if !equalShape(s, cell) {
			return badRequest("Invalid input for %s: row %d has shape %s, row 0 has %s", f.label(), r,
				pyShape(s), pyShape(cell))
		}
	}
	shape := append([]int64{int64(g.rows)}, cell...)
	return dec.finishTensor(d, f, shape, leaves, true, req)
}

// denseColumn is tensorColumn's fast path: every row's cell is nested
// lists of one shape over dense arrays, and together they are one span of
// d.nums.
func (dec *Decoder) denseColumn(d *doc, g *grid, fi int) (shape []int64, vals []float64, ok bool) {
	var cell []int64
	var lo, hi int32
	for r := 0; r < g.rows; r++ {
		c := g.cells[r*g.cols+fi]
		if c < 0 {
			return nil, nil, false
		}
		s, l, h, ok := denseShape(d, c)
		if !ok || (r > 0 && (l != hi || !equalShape(s, cell))) {
			return nil, nil, false
		}
		if r == 0 {
			cell, lo = s, l
		}
		hi = h
	}
	return append([]int64{int64(g.rows)}, cell...), d.nums[lo:hi], true
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
