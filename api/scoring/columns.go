package scoring

// Model inputs from a grid (frames.go: the table a dataframe-like body was
// read into): in column mode, columns stacked into one input tensor; in
// tensor mode, one named column per input.

import (
	"github.com/berthml/berth/flavors"
)

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
