package scoring

import (
	"slices"

	"github.com/berthml/berth/flavors"
)

// A dataframe_split of numbers, the body pandas gives MLflow's clients for
// a model with a column signature, is read here without a node per value
// where the decoder allows it (denseFramesOK): its rows are parsed dense
// and each model input's values gathered from them by column.

// denseFramesOK says whether every model input is fed by scalar columns
// of one type that convertDense converts.
func (dec *Decoder) denseFramesOK() bool {
	if dec.mode != modeColumns || dec.positional {
		return false
	}
	for _, in := range dec.inputs {
		if len(in.fields) == 0 {
			return false
		}
		typ := dec.fields[in.fields[0]].typ
		for _, fi := range in.fields {
			if f := &dec.fields[fi]; f.array || f.typ != typ {
				return false
			}
		}
		if !denseConvertible(typ, in.info.DType) {
			return false
		}
	}
	return true
}

// fromDenseSplit is fromSplit's fast path for a frame of numbers read by
// columns (dec.denseFrames): where every row is a dense list of a value
// per column and every field has a column, each model input's values are
// gathered from d.nums by column and converted in one loop, with no node
// per value. It reports whether it read the frame; where it did not (a
// row of another kind or width, a missing column, a value the input's
// type refuses, a shape the model refuses) req is untouched and the
// general path reads the frame and words any problem.
func (dec *Decoder) fromDenseSplit(d *doc, data int32, colOf []int, req *Request) bool {
	if d.nodes[data].flags&flagDense != 0 { // a single column of numbers: "data": [1, 2]
		return false
	}
	var colBuf [16]int
	col := colBuf[:0] // each field's column
	for range dec.fields {
		col = append(col, -1)
	}
	for j, fi := range colOf {
		if fi >= 0 && col[fi] < 0 {
			col[fi] = j
		}
	}
	if slices.Contains(col, -1) {
		return false
	}
	// Every row dense and as wide as the columns; rows are numbered in
	// document order, so the frame is one span of d.nums, row r at
	// lo + r×width.
	rows, width := int(d.nodes[data].n), len(colOf)
	lo, r := int32(-1), int32(0)
	for row := d.nodes[data].head; row >= 0; row = d.nodes[row].next {
		n := &d.nodes[row]
		if n.kind != kindArray || n.flags&flagDense == 0 || int(n.n) != width {
			return false
		}
		if lo < 0 {
			lo = n.head
		}
		if n.head != lo+r*int32(width) {
			return false
		}
		r++
	}
	frame := d.nums[lo : lo+int32(rows*width)]
	type tensor struct {
		in    *flavors.TensorInfo
		shape []int64
		data  any
	}
	var outBuf [4]tensor
	out := outBuf[:0]
	for ii := range dec.inputs {
		in := &dec.inputs[ii]
		w := len(in.fields)
		// The input's values are a span of the frame where its columns
		// are adjacent and in order, and it has them all or one row.
		c0 := col[in.fields[0]]
		span := w == width || rows == 1
		for k, fi := range in.fields {
			span = span && col[fi] == c0+k
		}
		var vals []float64
		if span {
			vals = frame[c0 : c0+rows*w]
		} else {
			// Gathered into the arena's spare room, not a new slice:
			// convertDense copies them out. (Should the arena move,
			// frame still reads the old one's same values.)
			d.nums = slices.Grow(d.nums, rows*w)
			vals = d.nums[len(d.nums) : len(d.nums)+rows*w]
			for r := range rows {
				row := frame[r*width : (r+1)*width]
				for k, fi := range in.fields {
					vals[r*w+k] = row[col[fi]]
				}
			}
		}
		shape := []int64{int64(rows), int64(w)}
		if w == 1 {
			shape = shape[:1]
		}
		shape, err := dec.fitModel(&in.info, shape, true)
		if err != nil {
			return false
		}
		data, ok := convertDense(vals, dec.fields[in.fields[0]].typ, in.info.DType)
		if !ok {
			return false
		}
		out = append(out, tensor{&in.info, shape, data})
	}
	for _, t := range out {
		dec.addInput(req, t.in, t.shape, t.data)
	}
	req.Rows = rows
	return true
}
