package oip

import (
	"github.com/berthml/berth/internal/jsonw"

	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/berthml/berth/flavors"
)

// DecodeV1Predict reads a KServe V1 predict body, {"instances": [...]}
// ("inputs" is accepted as another name for it). For a model with one
// input the instances are the rows of that input's batch; otherwise each
// instance is an object of input name to that input's row. "inputs" may
// also be an object of input name to the whole batch (TF Serving's columnar
// form). Values take the model's input dtypes. Every error is an *Error.
func DecodeV1Predict(body []byte, model []flavors.TensorInfo) ([]*flavors.Tensor, error) {
	if !utf8.Valid(body) {
		return nil, Invalidf("request JSON is not valid UTF-8")
	}
	l := &lexer{b: body}
	if l.peek() != '{' {
		return nil, Invalidf("request must be a JSON object with \"instances\", found %s", l.what())
	}
	var span []byte
	var key string
	err := l.object(1, func(k string) error {
		if k != "instances" && k != "inputs" {
			_, err := l.skip(2)
			return err
		}
		if span != nil {
			return Invalidf("request has both %q and %q", key, k)
		}
		key = k
		var err error
		span, err = l.skip(2)
		return err
	})
	if err != nil {
		return nil, err
	}
	if l.peek() != 0 {
		return nil, l.errf("unexpected %s after the request object", l.what())
	}
	if span == nil {
		return nil, Invalidf("request has no \"instances\"")
	}
	v := &lexer{b: span}
	switch v.peek() {
	case '{':
		if key != "inputs" {
			return nil, Invalidf("%q must be an array of rows", key)
		}
		return v1Columns(span, model)
	case '[':
	default:
		return nil, Invalidf("%q must be an array of rows, found %s", key, v.what())
	}
	v.i++
	switch v.peek() {
	case ']':
		return nil, Invalidf("%q is empty", key)
	case '{':
		return v1Rows(span, key, model)
	}
	if len(model) != 1 {
		return nil, Invalidf("the model takes %d inputs (%s): send each of %q as an object of input name to value", len(model), names(model), key)
	}
	t, err := v1Tensor(model[0], [][]byte{span}, true)
	if err != nil {
		return nil, err
	}
	return []*flavors.Tensor{t}, nil
}

// v1Rows reads instances that are objects of input name to row value.
func v1Rows(span []byte, key string, model []flavors.TensorInfo) ([]*flavors.Tensor, error) {
	rows := make([][][]byte, len(model)) // input -> row -> value text
	l := &lexer{b: span}
	err := l.array(1, func(r int) error {
		if l.peek() != '{' {
			return Invalidf("%s[%d] must be an object of input name to value, like the first, found %s", key, r, l.what())
		}
		seen := 0
		err := l.object(2, func(name string) error {
			mi := slices.IndexFunc(model, func(t flavors.TensorInfo) bool { return t.Name == name })
			if mi < 0 {
				return Invalidf("%s[%d]: unknown input %q: the model takes %s", key, r, name, names(model))
			}
			if len(rows[mi]) > r {
				return Invalidf("%s[%d]: input %q is given twice", key, r, name)
			}
			v, err := l.skip(3)
			rows[mi] = append(rows[mi], v)
			seen++
			return err
		})
		if err != nil {
			return err
		}
		if seen != len(model) {
			for mi, m := range model {
				if len(rows[mi]) <= r {
					return Invalidf("%s[%d]: missing input %q: the model takes %s", key, r, m.Name, names(model))
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*flavors.Tensor, len(model))
	for mi, m := range model {
		if out[mi], err = v1Tensor(m, rows[mi], false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// v1Columns reads TF Serving's columnar form: input name to whole batch.
func v1Columns(span []byte, model []flavors.TensorInfo) ([]*flavors.Tensor, error) {
	out := make([]*flavors.Tensor, len(model))
	l := &lexer{b: span}
	err := l.object(2, func(name string) error {
		mi := slices.IndexFunc(model, func(t flavors.TensorInfo) bool { return t.Name == name })
		if mi < 0 {
			return Invalidf("unknown input %q: the model takes %s", name, names(model))
		}
		if out[mi] != nil {
			return Invalidf("input %q is given twice", name)
		}
		v, err := l.skip(3)
		if err != nil {
			return err
		}
		out[mi], err = v1Tensor(model[mi], [][]byte{v}, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	for mi, m := range model {
		if out[mi] == nil {
			return nil, Invalidf("missing input %q: the model takes %s", m.Name, names(model))
		}
	}
	return out, nil
}

// v1Tensor builds input m from values: the whole batch when whole, else one
// value per row, each nested alike.
func v1Tensor(m flavors.TensorInfo, values [][]byte, whole bool) (*flavors.Tensor, error) {
	inner, err := inferShape(values[0])
	if err != nil {
		return nil, Invalidf("input %q: %s", m.Name, err)
	}
	shape := inner
	if !whole {
		shape = append([]int64{int64(len(values))}, inner...)
	}
	if len(shape) > MaxDepth {
		return nil, Invalidf("input %q: nested deeper than %d", m.Name, MaxDepth)
	}
	if err := checkShape(m.Name, shape, m.Shape); err != nil {
		return nil, err
	}
	total := 0
	for _, v := range values {
		total += len(v)
	}
	n, ok := numElements(shape, int64(total))
	if !ok {
		return nil, Invalidf("input %q: shape %v is larger than the data", m.Name, shape)
	}
	rowN := int(n)
	if !whole && len(values) > 0 {
		rowN = int(n) / len(values)
	}
	col, data, err := newColumn(m.DType, int(n), false)
	if err != nil {
		return nil, Invalidf("input %q: %s", m.Name, err)
	}
	for r, v := range values {
		l := &lexer{b: v}
		c := col
		if !whole {
			c = offsetColumn{col, r * rowN}
		}
		if err := readData(l, inner, rowN, c, true); err != nil {
			if whole {
				return nil, Invalidf("input %q: %s", m.Name, err)
			}
			return nil, Invalidf("input %q: row %d: %s", m.Name, r, err)
		}
	}
	return &flavors.Tensor{Name: m.Name, DType: m.DType, Shape: shape, Data: data}, nil
}

// offsetColumn writes into col from element base on.
type offsetColumn struct {
	col  column
	base int
}

func (c offsetColumn) read(l *lexer, i int) error { return c.col.read(l, c.base+i) }

// inferShape returns the shape of nested JSON arrays, following the first
// element of each level; a scalar has shape [].
func inferShape(b []byte) ([]int64, error) {
	shape := []int64{}
	pos := 0
	for {
		l := &lexer{b: b, i: pos}
		if l.peek() != '[' {
			return shape, nil
		}
		if len(shape) >= MaxDepth {
			return nil, fmt.Errorf("nested deeper than %d", MaxDepth)
		}
		first, n := -1, 0
		err := l.array(1, func(i int) error {
			if i == 0 {
				l.ws()
				first = l.i
			}
			n++
			_, err := l.skip(2)
			return err
		})
		if err != nil {
			return nil, err
		}
		shape = append(shape, int64(n))
		if n == 0 {
			return shape, nil
		}
		pos = first
	}
}

// EncodeV1Predict writes {"predictions": [...]}: the rows of the only
// output, or for several outputs one object per row of output name to that
// output's row. Every output must then have the same number of rows.
func EncodeV1Predict(outputs []*flavors.Tensor) ([]byte, error) {
	return EncodeV1PredictLimit(outputs, 0)
}

// EncodeV1PredictLimit is [EncodeV1Predict] that stops and returns
// [ErrResponseTooLarge] as soon as the body grows past limit bytes (0: no
// limit).
func EncodeV1PredictLimit(outputs []*flavors.Tensor, limit int) ([]byte, error) {
	rows := -1
	for _, t := range outputs {
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("encoding prediction: %w", err)
		}
		if len(outputs) == 1 {
			break
		}
		if len(t.Shape) == 0 {
			return nil, fmt.Errorf("encoding prediction: output %q is a scalar and cannot be split into rows", t.Name)
		}
		if rows >= 0 && int(t.Shape[0]) != rows {
			return nil, fmt.Errorf("encoding prediction: output %q has %d rows, another has %d", t.Name, t.Shape[0], rows)
		}
		rows = int(t.Shape[0])
	}
	b := append(make([]byte, 0, 256), `{"predictions":`...)
	switch {
	case len(outputs) == 0:
		b = append(b, "[]"...)
	case len(outputs) == 1:
		t := outputs[0]
		if len(t.Shape) == 0 {
			b = append(b, '[')
			b = jsonw.AppendElem(b, t.Data, 0, false)
			b = append(b, ']')
		} else {
			b = appendNested(b, t, 0, 0, limit)
		}
	default:
		b = append(b, '[')
		for r := range rows {
			if r > 0 {
				b = append(b, ',')
			}
			if limit > 0 && len(b) > limit {
				return nil, ErrResponseTooLarge
			}
			b = append(b, '{')
			for i, t := range outputs {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonw.AppendString(b, t.Name)
				b = append(b, ':')
				stride := int(flavors.NumElements(t.Shape[1:]))
				if len(t.Shape) == 1 {
					b = jsonw.AppendElem(b, t.Data, r, false)
				} else {
					b = appendNested(b, t, 1, r*stride, limit)
				}
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	if limit > 0 && len(b) > limit {
		return nil, ErrResponseTooLarge
	}
	return b, nil
}

// appendNested writes t's elements from base on as arrays nested as
// t.Shape[level:], stopping early once b is longer than limit (> 0).
func appendNested(b []byte, t *flavors.Tensor, level, base, limit int) []byte {
	b = append(b, '[')
	stride := int(flavors.NumElements(t.Shape[level+1:]))
	for k := range int(t.Shape[level]) {
		if k > 0 {
			b = append(b, ',')
			if limit > 0 && len(b) > limit {
				return b
			}
		}
		if level == len(t.Shape)-1 {
			b = jsonw.AppendElem(b, t.Data, base+k, false)
		} else {
			b = appendNested(b, t, level+1, base+k*stride, limit)
		}
	}
	return append(b, ']')
}
