package drift

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/berthml/berth/flavors"
)

// OutputColumn is one profiled column of a model output: the whole output
// when it holds one value per row, or column Index of an output of shape
// [rows, Width].
type OutputColumn struct {
	Column
	Tensor string // the model output it is read from
	Index  int
	Width  int
}

// OutputColumns returns the columns a model's outputs are profiled as. An
// output of shape [rows] or [rows, 1] is one column named after it; an
// output of shape [rows, k] with k fixed gives k columns "name.0" to
// "name.(k-1)" (a classifier's probabilities; names that MLflow accepts in
// metric keys). Outputs of other shapes, and
// sequence-of-map outputs, are not profiled. A name that is also one of
// inputs is prefixed "output.", so that inputs and outputs never share a
// feature name (metrics label both by it).
func OutputColumns(outputs []flavors.TensorInfo, inputs []string) []OutputColumn {
	var cols []OutputColumn
	for _, o := range outputs {
		typ, ok := colType(o.DType)
		if !ok || len(o.Shape) == 0 || len(o.Shape) > 2 {
			continue
		}
		name := o.Name
		if slices.Contains(inputs, name) {
			name = "output." + name
		}
		if len(o.Shape) == 1 || o.Shape[1] == 1 {
			cols = append(cols, OutputColumn{Column: Column{Name: name, Type: typ}, Tensor: o.Name, Width: 1})
			continue
		}
		k := int(o.Shape[1])
		if k < 1 || k > maxOutputWidth {
			continue
		}
		for j := range k {
			cols = append(cols, OutputColumn{Column: Column{Name: name + "." + strconv.Itoa(j), Type: typ}, Tensor: o.Name, Index: j, Width: k})
		}
	}
	return cols
}

// maxOutputWidth is the widest [rows, k] output profiled column by column:
// beyond it (embeddings, logits over a vocabulary) per-column histograms
// say little and cost much.
const maxOutputWidth = 64

// colType is the column type an element type is profiled as.
func colType(d flavors.DType) (flavors.ColType, bool) {
	switch d {
	case flavors.Float16, flavors.BFloat16, flavors.Float32:
		return flavors.ColFloat, true
	case flavors.Float64:
		return flavors.ColDouble, true
	case flavors.Int8, flavors.Int16, flavors.Int32, flavors.Uint8, flavors.Uint16:
		return flavors.ColInteger, true
	case flavors.Int64, flavors.Uint32, flavors.Uint64:
		return flavors.ColLong, true
	case flavors.Bool:
		return flavors.ColBoolean, true
	case flavors.String:
		return flavors.ColString, true
	}
	return "", false
}

// Columns returns the plain columns of cols, for [NewBuilder].
func Columns(cols []OutputColumn) []Column {
	out := make([]Column, len(cols))
	for i, c := range cols {
		out[i] = c.Column
	}
	return out
}

// AddOutputs adds one batch of model outputs to b, whose columns are
// cols (from [OutputColumns]). Outputs cols names that are missing from
// outs, or whose shape does not fit, are an error.
func AddOutputs(b *Builder, cols []OutputColumn, outs []*flavors.Tensor) error {
	for _, c := range cols {
		t := tensorNamed(outs, c.Tensor)
		if t == nil {
			return fmt.Errorf("the model returned no output %q", c.Tensor)
		}
		rows, ok := RowsOf(t, c.Width)
		if !ok {
			return fmt.Errorf("output %q has shape %v, want [rows, %d]", c.Tensor, t.Shape, c.Width)
		}
		var err error
		switch d := t.Data.(type) {
		case []string:
			err = b.AddStrings(c.Name, column(d, c.Index, c.Width, rows))
		case []bool:
			vs := column(d, c.Index, c.Width, rows)
			ss := make([]string, len(vs))
			for i, v := range vs {
				ss[i] = strconv.FormatBool(v)
			}
			err = b.AddStrings(c.Name, ss)
		default:
			vs, ok := Floats(t.Data, c.Index, c.Width, rows)
			if !ok {
				return fmt.Errorf("output %q: element type %s cannot be profiled", c.Tensor, t.DType)
			}
			err = b.AddFloats(c.Name, vs)
		}
		if err != nil {
			return fmt.Errorf("output %q: %w", c.Tensor, err)
		}
	}
	return nil
}

func tensorNamed(ts []*flavors.Tensor, name string) *flavors.Tensor {
	for _, t := range ts {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// RowsOf returns the rows of t read as [rows, width] (a vector when width
// is 1), and whether its shape fits.
func RowsOf(t *flavors.Tensor, width int) (int, bool) {
	switch {
	case len(t.Shape) == 2 && t.Shape[1] == int64(width):
	case len(t.Shape) == 1 && width == 1:
	default:
		return 0, false
	}
	n := int(t.Shape[0])
	if t.Len() != n*width {
		return 0, false
	}
	return n, true
}

func column[T any](d []T, col, width, rows int) []T {
	out := make([]T, rows)
	for i := range rows {
		out[i] = d[i*width+col]
	}
	return out
}

// Floats returns column col of numeric data read as [rows, width], as
// float64, and false for data that is not numeric.
func Floats(data any, col, width, rows int) ([]float64, bool) {
	switch d := data.(type) {
	case []float32:
		return floats(d, col, width, rows), true
	case []float64:
		return floats(d, col, width, rows), true
	case []int8:
		return floats(d, col, width, rows), true
	case []int16:
		return floats(d, col, width, rows), true
	case []int32:
		return floats(d, col, width, rows), true
	case []int64:
		return floats(d, col, width, rows), true
	case []uint8:
		return floats(d, col, width, rows), true
	case []uint16:
		return floats(d, col, width, rows), true
	case []uint32:
		return floats(d, col, width, rows), true
	case []uint64:
		return floats(d, col, width, rows), true
	}
	return nil, false
}

type number interface {
	~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

func floats[T number](d []T, col, width, rows int) []float64 {
	out := make([]float64, rows)
	for i := range rows {
		out[i] = float64(d[i*width+col])
	}
	return out
}
