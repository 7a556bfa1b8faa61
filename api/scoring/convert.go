package scoring

import (
	"math"
	"strconv"
	"strings"

	"github.com/berthml/berth/flavors"
)

// elemKind is what a signature type accepts from the wire.
type elemKind uint8

const (
	ekFloat elemKind = iota
	ekInt
	ekBool
	ekString
)

// elemType is a signature's element type: the kind of value it accepts and
// the dtype its messages name (numpy's names, as MLflow's do).
type elemType struct {
	kind     elemKind
	dtype    flavors.DType
	min, max int64 // range of an ekInt type
}

// elemTypeOf returns the element type for dtype, and false for one that
// cannot come from the wire (Map).
func elemTypeOf(dtype flavors.DType) (elemType, bool) {
	t := elemType{dtype: dtype}
	switch dtype {
	case flavors.Float16, flavors.BFloat16, flavors.Float32, flavors.Float64:
		t.kind = ekFloat
	case flavors.Int8:
		t.kind, t.min, t.max = ekInt, math.MinInt8, math.MaxInt8
	case flavors.Int16:
		t.kind, t.min, t.max = ekInt, math.MinInt16, math.MaxInt16
	case flavors.Int32:
		t.kind, t.min, t.max = ekInt, math.MinInt32, math.MaxInt32
	case flavors.Int64:
		t.kind, t.min, t.max = ekInt, math.MinInt64, math.MaxInt64
	case flavors.Uint8:
		t.kind, t.min, t.max = ekInt, 0, math.MaxUint8
	case flavors.Uint16:
		t.kind, t.min, t.max = ekInt, 0, math.MaxUint16
	case flavors.Uint32:
		t.kind, t.min, t.max = ekInt, 0, math.MaxUint32
	case flavors.Uint64:
		t.kind, t.min, t.max = ekInt, 0, math.MaxInt64 // values above 2^63-1 are refused
	case flavors.Bool:
		t.kind = ekBool
	case flavors.String:
		t.kind = ekString
	default:
		return t, false
	}
	return t, true
}

// convertible reports whether values of the signature type src can be
// stored in a model input of dtype dst.
func convertible(src elemType, dst flavors.DType) bool {
	d, ok := elemTypeOf(dst)
	if !ok {
		return false
	}
	switch d.kind {
	case ekString:
		return src.kind == ekString
	case ekBool:
		return src.kind == ekBool
	}
	return src.kind != ekString
}

// readFloat reads node i as a float: numbers, booleans (1, 0) and numeric
// strings. why says what was wrong.
func readFloat(d *doc, i int32) (v float64, why string) {
	n := &d.nodes[i]
	switch n.kind {
	case kindNumber:
		return d.float(i), ""
	case kindTrue:
		return 1, ""
	case kindFalse:
		return 0, ""
	case kindString:
		s := d.text(i)
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil && !isRangeErr(err) {
			return 0, "could not convert string to float: " + quote(s)
		}
		return f, ""
	}
	return 0, "got " + kindName(d, i)
}

// readInt reads node i as an integer in [t.min, t.max]: integral numbers,
// booleans and integral numeric strings; never a fraction.
func readInt(d *doc, i int32, t elemType) (v int64, why string) {
	n := &d.nodes[i]
	var s string
	switch n.kind {
	case kindNumber:
		s = d.src[n.start:n.end]
	case kindTrue:
		return 1, ""
	case kindFalse:
		return 0, ""
	case kindString:
		s = strings.TrimSpace(d.text(i))
	default:
		return 0, "got " + kindName(d, i)
	}
	if x, err := strconv.ParseInt(s, 10, 64); err == nil {
		if x < t.min || x > t.max {
			return 0, "value " + s + " is out of range for " + string(t.dtype)
		}
		return x, ""
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		if n.kind == kindString {
			return 0, "could not convert string to int: " + quote(s)
		}
		return 0, "value " + s + " is out of range for " + string(t.dtype)
	}
	return floatToInt(f, t, s)
}

func floatToInt(f float64, t elemType, s string) (int64, string) {
	if f != math.Trunc(f) || math.IsNaN(f) {
		return 0, "value " + s + " is not an integer; " + string(t.dtype) + " does not take fractions"
	}
	// float64(math.MaxInt64) rounds up to 2^63, which is out of range.
	if f < float64(t.min) || f >= float64(t.max)+1 || (t.max == math.MaxInt64 && f >= math.MaxInt64) {
		return 0, "value " + s + " is out of range for " + string(t.dtype)
	}
	return int64(f), ""
}

// readBool reads node i as a boolean: true/false, the numbers 0 and 1, and
// the strings strconv.ParseBool knows.
func readBool(d *doc, i int32) (v bool, why string) {
	n := &d.nodes[i]
	switch n.kind {
	case kindTrue:
		return true, ""
	case kindFalse:
		return false, ""
	case kindNumber:
		f, _ := parseFloat(d.src[n.start:n.end])
		if f == 0 || f == 1 {
			return f == 1, ""
		}
		return false, "value " + d.raw(i) + " is not a boolean"
	case kindString:
		s := d.text(i)
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return false, "could not convert string to bool: " + quote(s)
		}
		return b, ""
	}
	return false, "got " + kindName(d, i)
}

// readString reads node i as a string; only strings qualify.
func readString(d *doc, i int32) (v string, why string) {
	if d.nodes[i].kind == kindString {
		return d.text(i), ""
	}
	return "", "got " + kindName(d, i) + ", expected a string"
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func kindName(d *doc, i int32) string {
	switch k := d.nodes[i].kind; k {
	case kindNull:
		return "null"
	case kindArray:
		return "a list of " + strconv.Itoa(int(d.nodes[i].n))
	case kindObject:
		return "an object"
	case kindNumber:
		return "the number " + truncate(d.raw(i), 40)
	case kindString:
		return "the string " + quote(d.text(i))
	default:
		return k.String()
	}
}

func quote(s string) string { return strconv.Quote(truncate(s, 40)) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// convert reads the nodes leaves (in row-major order; -1 marks a missing
// optional value) as values of the signature type src, and stores them in
// a new slice of dtype dst. On failure it returns the failing position and
// why.
func convert(d *doc, leaves []int32, src elemType, dst flavors.DType) (data any, bad int, why string) {
	switch dst {
	case flavors.Float32, flavors.Float16, flavors.BFloat16:
		out := make([]float32, len(leaves))
		bad, why = fillFloat(d, leaves, src, out)
		return out, bad, why
	case flavors.Float64:
		out := make([]float64, len(leaves))
		bad, why = fillFloat(d, leaves, src, out)
		return out, bad, why
	case flavors.Int8:
		return fillIntTo[int8](d, leaves, src, dst)
	case flavors.Int16:
		return fillIntTo[int16](d, leaves, src, dst)
	case flavors.Int32:
		return fillIntTo[int32](d, leaves, src, dst)
	case flavors.Int64:
		return fillIntTo[int64](d, leaves, src, dst)
	case flavors.Uint8:
		return fillIntTo[uint8](d, leaves, src, dst)
	case flavors.Uint16:
		return fillIntTo[uint16](d, leaves, src, dst)
	case flavors.Uint32:
		return fillIntTo[uint32](d, leaves, src, dst)
	case flavors.Uint64:
		return fillIntTo[uint64](d, leaves, src, dst)
	case flavors.Bool:
		out := make([]bool, len(leaves))
		for k, l := range leaves {
			if l < 0 {
				continue
			}
			if d.nodes[l].kind == kindNull {
				return nil, k, "null"
			}
			v, why := readBool(d, l)
			if why != "" {
				return nil, k, why
			}
			out[k] = v
		}
		return out, -1, ""
	case flavors.String:
		out := make([]string, len(leaves))
		for k, l := range leaves {
			if l < 0 {
				continue
			}
			if d.nodes[l].kind == kindNull {
				return nil, k, "null"
			}
			v, why := readString(d, l)
			if why != "" {
				return nil, k, why
			}
			out[k] = v
		}
		return out, -1, ""
	}
	return nil, 0, "cannot feed a model input of type " + string(dst)
}

func fillFloat[T float32 | float64](d *doc, leaves []int32, src elemType, out []T) (int, string) {
	for k, l := range leaves {
		if l < 0 {
			out[k] = T(math.NaN())
			continue
		}
		n := &d.nodes[l]
		if n.kind == kindNumber && src.kind == ekFloat { // the common case
			if n.flags&flagFloat != 0 {
				out[k] = T(n.f)
			} else {
				f, _ := parseFloat(d.src[n.start:n.end])
				out[k] = T(f)
			}
			continue
		}
		if n.kind == kindNull {
			return k, "null"
		}
		var f float64
		var why string
		switch src.kind {
		case ekFloat:
			f, why = readFloat(d, l)
		case ekInt:
			var x int64
			x, why = readInt(d, l, src)
			f = float64(x)
		case ekBool:
			var b bool
			b, why = readBool(d, l)
			if b {
				f = 1
			}
		default:
			why = "a string column cannot feed a numeric input"
		}
		if why != "" {
			return k, why
		}
		out[k] = T(f)
	}
	return -1, ""
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

func fillIntTo[T integer](d *doc, leaves []int32, src elemType, dst flavors.DType) (any, int, string) {
	t, _ := elemTypeOf(dst)
	out := make([]T, len(leaves))
	for k, l := range leaves {
		if l < 0 {
			continue
		}
		if d.nodes[l].kind == kindNull {
			return nil, k, "null"
		}
		var x int64
		var why string
		switch src.kind {
		case ekInt:
			x, why = readInt(d, l, src)
		case ekFloat:
			var f float64
			f, why = readFloat(d, l)
			if why == "" {
				x, why = floatToInt(f, src.rangeOf(t), d.raw(l))
			}
		case ekBool:
			var b bool
			b, why = readBool(d, l)
			if b {
				x = 1
			}
		default:
			why = "a string column cannot feed a numeric input"
		}
		if why == "" && (x < t.min || x > t.max) {
			why = "value " + strconv.FormatInt(x, 10) + " is out of range for the model input's " + string(dst)
		}
		if why != "" {
			return nil, k, why
		}
		out[k] = T(x)
	}
	return out, -1, ""
}

// rangeOf returns t with the dtype of the signature (for messages) and the
// range of the model input type m.
func (t elemType) rangeOf(m elemType) elemType {
	m.dtype = t.dtype
	return m
}

// denseConvertible reports whether the dense path may convert values of
// the signature type src for a model input of dtype dst: numbers into
// numbers.
func denseConvertible(src elemType, dst flavors.DType) bool {
	if src.kind != ekFloat && src.kind != ekInt {
		return false
	}
	d, ok := elemTypeOf(dst)
	return ok && (d.kind == ekFloat || d.kind == ekInt)
}

// convertDense stores vals, the float64 values of a tensor's numbers, in
// a new slice of dtype dst, as convert would from their nodes: float32 of
// the float64 for a float32 input (MLflow's rule), and for an integer
// type (of the signature or the input) only integral values in range. It
// returns false where convert would fail or read a number's text rather
// than its float64 (an integer beyond 2^53): the general path then does.
func convertDense(vals []float64, src elemType, dst flavors.DType) (any, bool) {
	switch dst {
	case flavors.Float32, flavors.Float16, flavors.BFloat16:
		out := make([]float32, len(vals))
		return out, fillDense(out, vals, src)
	case flavors.Float64:
		out := make([]float64, len(vals))
		return out, fillDense(out, vals, src)
	case flavors.Int8:
		return fillDenseInt[int8](vals, src, dst)
	case flavors.Int16:
		return fillDenseInt[int16](vals, src, dst)
	case flavors.Int32:
		return fillDenseInt[int32](vals, src, dst)
	case flavors.Int64:
		return fillDenseInt[int64](vals, src, dst)
	case flavors.Uint8:
		return fillDenseInt[uint8](vals, src, dst)
	case flavors.Uint16:
		return fillDenseInt[uint16](vals, src, dst)
	case flavors.Uint32:
		return fillDenseInt[uint32](vals, src, dst)
	case flavors.Uint64:
		return fillDenseInt[uint64](vals, src, dst)
	}
	return nil, false
}

func fillDense[T float32 | float64](out []T, vals []float64, src elemType) bool {
	switch src.kind {
	case ekFloat:
		out = out[:len(vals)]
		for k, v := range vals {
			out[k] = T(v)
		}
		return true
	case ekInt:
		lo, hi := float64(src.min), float64(src.max)
		for k, v := range vals {
			if !denseInt(v, lo, hi) {
				return false
			}
			out[k] = T(v) + 0 // an integer has no sign of zero: "-0" is 0
		}
		return true
	}
	return false
}

// denseInt reports whether v is an integer in [lo, hi] that readInt reads
// to the same value from the number's text: below 2^53 in magnitude, a
// float64 is an integer exactly when the text's value rounds to it.
func denseInt(v, lo, hi float64) bool {
	return v == math.Trunc(v) && v > -(1<<53) && v < 1<<53 && v >= lo && v <= hi
}

func fillDenseInt[T integer](vals []float64, src elemType, dst flavors.DType) (any, bool) {
	t, _ := elemTypeOf(dst)
	lo, hi := float64(t.min), float64(t.max)
	if src.kind == ekInt {
		lo, hi = max(lo, float64(src.min)), min(hi, float64(src.max))
	} else if src.kind != ekFloat {
		return nil, false
	}
	out := make([]T, len(vals))
	for k, v := range vals {
		if !denseInt(v, lo, hi) {
			return nil, false
		}
		out[k] = T(int64(v))
	}
	return out, true
}
