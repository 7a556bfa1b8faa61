package scoring

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/ftoa"
	"github.com/berthml/berth/internal/jsonw"
)

// selectOutputs computes, once per model, which outputs a response holds.
func (dec *Decoder) selectOutputs(sig *flavors.Schema) {
	if sig == nil {
		return
	}
	names, unnamed := schemaNames(sig)
	if unnamed {
		dec.firstOnly = true
		if len(dec.spec.Outputs) > 0 {
			dec.outputs = []string{dec.spec.Outputs[0].Name}
		}
		return
	}
	for _, n := range names {
		if !slices.ContainsFunc(dec.spec.Outputs, func(o flavors.TensorInfo) bool { return o.Name == n }) {
			return
		}
	}
	dec.outputs = names
}

// schemaNames returns the names of a schema's entries, and whether it is a
// single unnamed entry (such as sklearn's `long` prediction).
func schemaNames(s *flavors.Schema) (names []string, singleUnnamed bool) {
	for _, c := range s.Columns {
		names = append(names, c.Name)
	}
	for _, t := range s.Tensors {
		names = append(names, t.Name)
	}
	if len(names) == 1 && names[0] == "" {
		return nil, true
	}
	if slices.Contains(names, "") {
		return nil, false
	}
	return names, false
}

// OutputNames returns the model outputs a response holds, for the
// predictor to compute; nil means all of them.
func (dec *Decoder) OutputNames() []string { return dec.outputs }

// pickOutputs applies the signature's output selection to outputs: the
// signature's named outputs in its order when the model has them all, the
// first output for a single unnamed signature output, else all.
func pickOutputs(outputs []*flavors.Tensor, sig *flavors.Signature) []*flavors.Tensor {
	if sig == nil || sig.Outputs == nil || len(outputs) == 0 {
		return outputs
	}
	// schemaNames' rules, read in place: this runs on every response.
	s := sig.Outputs
	n := len(s.Columns) + len(s.Tensors)
	name := func(i int) string {
		if i < len(s.Columns) {
			return s.Columns[i].Name
		}
		return s.Tensors[i-len(s.Columns)].Name
	}
	if n == 1 && name(0) == "" {
		return outputs[:1]
	}
	for i := range n {
		if name(i) == "" {
			return outputs
		}
	}
	if n == 0 {
		return outputs
	}
	// Already in the signature's order (as flavors return them): no copy.
	inOrder := n <= len(outputs)
	for i := 0; inOrder && i < n; i++ {
		inOrder = outputs[i].Name == name(i)
	}
	if inOrder {
		return outputs[:n:n]
	}
	var picked []*flavors.Tensor
	for i := range n {
		k := slices.IndexFunc(outputs, func(t *flavors.Tensor) bool { return t.Name == name(i) })
		if k < 0 {
			return outputs
		}
		if picked == nil {
			picked = make([]*flavors.Tensor, 0, n)
		}
		picked = append(picked, outputs[k])
	}
	return picked
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Encode writes a model's outputs as a {"predictions": ...} response body
// shaped as MLflow shapes it, with the signature's output selection
// applied:
//
//   - one output: its values as nested lists by shape ([N] a flat list,
//     [N, k] a list of rows, a 0-d tensor a scalar, a Map tensor a list of
//     objects);
//   - several outputs, for a Columnar request whose outputs all have Rows
//     rows: one object per row, {"label": 0, "probabilities": [...]};
//   - several outputs otherwise: MLflow's dict form, {"label": [...], ...}.
//
// float32 values are written with float32 precision (0.97, not
// 0.9700000286102295), integral floats as 1.0, NaN and ±Inf as null.
func Encode(outputs []*flavors.Tensor, req *Request, sig *flavors.Signature) ([]byte, error) {
	bp := bufPool.Get().(*[]byte)
	b, err := AppendEncode((*bp)[:0], outputs, req, sig)
	var out []byte
	if err == nil {
		out = slices.Clone(b)
	}
	if cap(b) <= 1<<20 {
		*bp = b
		bufPool.Put(bp)
	}
	return out, err
}

// AppendEncode is [Encode] appending to dst. Like ftoa's writers it
// prints floats with, it may write up to 48 bytes of dst's spare capacity
// past what it appends, as scratch.
func AppendEncode(dst []byte, outputs []*flavors.Tensor, req *Request, sig *flavors.Signature) ([]byte, error) {
	return AppendEncodeLimit(dst, outputs, req, sig, 0)
}

// ErrResponseTooLarge is returned by the encoders given a size limit when
// the response would be larger.
var ErrResponseTooLarge = errors.New("the response is larger than the limit")

// AppendEncodeLimit is [AppendEncode] that stops and returns
// [ErrResponseTooLarge] as soon as what it appends grows past limit bytes
// (0: no limit), so that a response too large costs about limit bytes, not
// its whole size.
func AppendEncodeLimit(dst []byte, outputs []*flavors.Tensor, req *Request, sig *flavors.Signature, limit int) ([]byte, error) {
	if limit > 0 {
		limit += len(dst) // an absolute length of b from here on
	}
	b, err := appendEncode(dst, outputs, req, sig, limit)
	if err == nil && limit > 0 && len(b) > limit {
		return dst, ErrResponseTooLarge
	}
	return b, err
}

func appendEncode(dst []byte, outputs []*flavors.Tensor, req *Request, sig *flavors.Signature, limit int) ([]byte, error) {
	outputs = pickOutputs(outputs, sig)
	if len(outputs) == 0 {
		return dst, fmt.Errorf("encoding predictions: the model returned no outputs")
	}
	for _, t := range outputs {
		if err := t.Validate(); err != nil {
			return dst, fmt.Errorf("encoding predictions: %w", err)
		}
	}
	b := append(dst, `{"predictions":`...)
	switch {
	case len(outputs) == 1:
		b = appendNested(b, newElemWriter(outputs[0]), outputs[0].Shape, 0, limit)
	case req != nil && req.Columnar && sameRows(outputs, req.Rows):
		b = append(b, '[')
		var small [4]elemWriter // on the stack for up to four outputs
		els := appendElemWriters(small[:0], outputs)
		for r := 0; r < req.Rows; r++ {
			if r > 0 {
				b = append(b, ',')
				if limit > 0 && len(b) > limit {
					return b, nil
				}
			}
			b = append(b, '{')
			for i, t := range outputs {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonw.AppendString(b, t.Name)
				b = append(b, ':')
				per := int(flavors.NumElements(t.Shape[1:]))
				b = appendNested(b, els[i], t.Shape[1:], r*per, limit)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	default:
		b = append(b, '{')
		for i, t := range outputs {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, t.Name)
			b = append(b, ':')
			b = appendNested(b, newElemWriter(t), t.Shape, 0, limit)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// Encode is [Encode] with the decoder's signature.
func (dec *Decoder) Encode(outputs []*flavors.Tensor, req *Request) ([]byte, error) {
	return Encode(outputs, req, dec.spec.Signature)
}

// EncodeLimit is [Decoder.Encode] with a size limit, as in
// [AppendEncodeLimit].
func (dec *Decoder) EncodeLimit(outputs []*flavors.Tensor, req *Request, limit int) ([]byte, error) {
	bp := bufPool.Get().(*[]byte)
	b, err := AppendEncodeLimit((*bp)[:0], outputs, req, dec.spec.Signature, limit)
	var out []byte
	if err == nil {
		out = slices.Clone(b)
	}
	if cap(b) <= 1<<20 {
		*bp = b
		bufPool.Put(bp)
	}
	return out, err
}

// AppendEncode is [AppendEncode] with the decoder's signature.
func (dec *Decoder) AppendEncode(dst []byte, outputs []*flavors.Tensor, req *Request) ([]byte, error) {
	return AppendEncode(dst, outputs, req, dec.spec.Signature)
}

func sameRows(outputs []*flavors.Tensor, rows int) bool {
	for _, t := range outputs {
		if len(t.Shape) == 0 || t.Shape[0] != int64(rows) {
			return false
		}
	}
	return true
}

// appendElemWriters appends a writer per output to els.
func appendElemWriters(els []elemWriter, outputs []*flavors.Tensor) []elemWriter {
	for _, t := range outputs {
		els = append(els, newElemWriter(t))
	}
	return els
}

// elemWriter writes a tensor's elements: [elemWriter.one] appends element
// i; where hasRun, [elemWriter.run] appends a span of them separated by
// commas, in one loop (numbers), where one would cost a call per element.
// It is a value over the tensor's data, not closures over it, so that the
// writers of a response cost no allocation.
type elemWriter struct {
	data   any
	hasRun bool
	rows   *mapRows // a sequence-of-maps output's keys
}

func newElemWriter(t *flavors.Tensor) elemWriter {
	switch t.Data.(type) {
	case []float32, []float64, []int8, []int16, []int32, []int64, []uint8, []uint16, []uint32, []uint64:
		return elemWriter{data: t.Data, hasRun: true}
	case []map[string]float32:
		return elemWriter{data: t.Data, rows: new(mapRows)}
	}
	return elemWriter{data: t.Data}
}

// one appends element i: floats as Python writes them, a map row in its
// learnt key order, the rest as jsonw writes them (null for a type it does
// not know).
func (el elemWriter) one(b []byte, i int) []byte {
	switch d := el.data.(type) {
	case []float32:
		return ftoa.AppendFloat32(b, d[i], ftoa.Python)
	case []float64:
		return ftoa.AppendFloat64(b, d[i], ftoa.Python)
	case []map[string]float32:
		return el.rows.append(b, d[i])
	}
	return jsonw.AppendElem(b, el.data, i, false)
}

// run appends elements from to to-1 (from < to), separated by commas; only
// where hasRun.
func (el elemWriter) run(b []byte, from, to int) []byte {
	switch d := el.data.(type) {
	case []float32:
		return ftoa.AppendFloats32(b, d[from:to], ftoa.Python)
	case []float64:
		return ftoa.AppendFloats64(b, d[from:to], ftoa.Python)
	case []int8:
		return appendInts(b, d[from:to])
	case []int16:
		return appendInts(b, d[from:to])
	case []int32:
		return appendInts(b, d[from:to])
	case []int64:
		return appendInts(b, d[from:to])
	case []uint8:
		return appendUints(b, d[from:to])
	case []uint16:
		return appendUints(b, d[from:to])
	case []uint32:
		return appendUints(b, d[from:to])
	case []uint64:
		return appendUints(b, d[from:to])
	}
	panic("scoring: run on an elemWriter without one")
}

func appendInts[T int8 | int16 | int32 | int64](b []byte, d []T) []byte {
	b = strconv.AppendInt(b, int64(d[0]), 10)
	for _, v := range d[1:] {
		b = strconv.AppendInt(append(b, ','), int64(v), 10)
	}
	return b
}

func appendUints[T uint8 | uint16 | uint32 | uint64](b []byte, d []T) []byte {
	b = strconv.AppendUint(b, uint64(d[0]), 10)
	for _, v := range d[1:] {
		b = strconv.AppendUint(append(b, ','), uint64(v), 10)
	}
	return b
}

// runBlock is how many elements of an innermost list appendNested writes
// between two checks of its limit.
const runBlock = 1024

// appendNested writes the elements from off on as nested lists of shape,
// stopping early once b is longer than limit (> 0).
func appendNested(b []byte, el elemWriter, shape []int64, off, limit int) []byte {
	if len(shape) == 0 {
		return el.one(b, off)
	}
	b = append(b, '[')
	n := int(shape[0])
	if len(shape) == 1 {
		if el.hasRun {
			for i := 0; i < n; i += runBlock {
				if i > 0 {
					b = append(b, ',')
					if limit > 0 && len(b) > limit {
						return b
					}
				}
				b = el.run(b, off+i, off+min(i+runBlock, n))
			}
			return append(b, ']')
		}
		for i := 0; i < n; i++ {
			if i > 0 {
				b = append(b, ',')
				if limit > 0 && len(b) > limit {
					return b
				}
			}
			b = el.one(b, off+i)
		}
		return append(b, ']')
	}
	per := int(flavors.NumElements(shape[1:]))
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
			if limit > 0 && len(b) > limit {
				return b
			}
		}
		b = appendNested(b, el, shape[1:], off+i*per, limit)
	}
	return append(b, ']')
}

// appendFloat writes f as Python's repr does (the shortest text that reads
// back as the same float of the given size; exponent form below 1e-4 and
// from 1e16 on; ".0" on integral values), and NaN and ±Inf as null.
func appendFloat(b []byte, f float64, bits int) []byte {
	if bits == 32 {
		return ftoa.AppendFloat32(b, float32(f), ftoa.Python)
	}
	return ftoa.AppendFloat64(b, f, ftoa.Python)
}

// mapRows writes rows of a sequence-of-maps output, keys in order
// (numerically when every key is an integer, as class labels are). It
// keeps the last row's keys in order, each written out as a JSON string
// and a colon: a classifier's rows (ZipMap) all have the same keys, so a
// row costs no sort and no allocation.
type mapRows struct {
	keys   []string
	quoted [][]byte
	vals   []float32 // the row's values in the keys' order
}

func (r *mapRows) append(b []byte, m map[string]float32) []byte {
	if !r.same(m) {
		r.learn(m)
		r.same(m)
	}
	b = append(b, '{')
	for i, v := range r.vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r.quoted[i]...)
		b = ftoa.AppendFloat32(b, v, ftoa.Python)
	}
	return append(b, '}')
}

// same reports whether m has exactly the keys kept, reading its values
// into vals on the way (one look-up per key).
func (r *mapRows) same(m map[string]float32) bool {
	if r.keys == nil || len(m) != len(r.keys) {
		return false
	}
	r.vals = r.vals[:0]
	for _, k := range r.keys {
		v, ok := m[k]
		if !ok {
			return false
		}
		r.vals = append(r.vals, v)
	}
	return true
}

func (r *mapRows) learn(m map[string]float32) {
	keys := make([]string, 0, len(m))
	numeric := true
	for k := range m {
		keys = append(keys, k)
		if _, err := strconv.ParseInt(k, 10, 64); err != nil {
			numeric = false
		}
	}
	if numeric {
		slices.SortFunc(keys, func(x, y string) int {
			a, _ := strconv.ParseInt(x, 10, 64)
			c, _ := strconv.ParseInt(y, 10, 64)
			return int(sign(a - c))
		})
	} else {
		slices.Sort(keys)
	}
	r.keys, r.quoted = keys, make([][]byte, len(keys))
	for i, k := range keys {
		r.quoted[i] = append(jsonw.AppendString(nil, k), ':')
	}
}

func sign(x int64) int64 {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
