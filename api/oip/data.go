package oip

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/jsonscan"
)

// maxExactInt is the largest integer a float64 holds exactly; integral
// numbers written with a fraction or exponent must stay within it.
const maxExactInt = 1 << 53

// column receives the elements of one tensor's JSON data.
type column interface {
	// read reads one scalar at l into element i.
	read(l *lexer, i int) error
}

// newColumn makes a column of n elements for dtype, and returns it with
// its slice (a Tensor's Data). nullNaN lets float columns read null as NaN,
// as clients read JSON outputs.
func newColumn(dtype flavors.DType, n int, nullNaN bool) (column, any, error) {
	switch dtype {
	case flavors.Float32, flavors.BFloat16:
		c := &f32Col{d: make([]float32, n), max: math.MaxFloat32, nullNaN: nullNaN}
		return c, c.d, nil
	case flavors.Float16:
		c := &f32Col{d: make([]float32, n), max: maxHalf, nullNaN: nullNaN}
		return c, c.d, nil
	case flavors.Float64:
		c := &f64Col{d: make([]float64, n), nullNaN: nullNaN}
		return c, c.d, nil
	case flavors.Int8:
		c := &intCol[int8]{d: make([]int8, n), min: math.MinInt8, max: math.MaxInt8}
		return c, c.d, nil
	case flavors.Int16:
		c := &intCol[int16]{d: make([]int16, n), min: math.MinInt16, max: math.MaxInt16}
		return c, c.d, nil
	case flavors.Int32:
		c := &intCol[int32]{d: make([]int32, n), min: math.MinInt32, max: math.MaxInt32}
		return c, c.d, nil
	case flavors.Int64:
		c := &intCol[int64]{d: make([]int64, n), min: math.MinInt64, max: math.MaxInt64}
		return c, c.d, nil
	case flavors.Uint8:
		c := &uintCol[uint8]{d: make([]uint8, n), max: math.MaxUint8}
		return c, c.d, nil
	case flavors.Uint16:
		c := &uintCol[uint16]{d: make([]uint16, n), max: math.MaxUint16}
		return c, c.d, nil
	case flavors.Uint32:
		c := &uintCol[uint32]{d: make([]uint32, n), max: math.MaxUint32}
		return c, c.d, nil
	case flavors.Uint64:
		c := &uintCol[uint64]{d: make([]uint64, n), max: math.MaxUint64}
		return c, c.d, nil
	case flavors.Bool:
		c := &boolCol{d: make([]bool, n)}
		return c, c.d, nil
	case flavors.String:
		c := &strCol{d: make([]string, n)}
		return c, c.d, nil
	}
	return nil, nil, Invalidf("dtype %q cannot be read from JSON", dtype)
}

var (
	errNotNumber  = errors.New("not a number")
	errNotInteger = errors.New("not an integer")
	errRange      = errors.New("out of range")
)

// elemError says what is wrong with the element at l.
func elemError(l *lexer, want string) error {
	return fmt.Errorf("expected %s, found %s", want, l.what())
}

type f32Col struct {
	d       []float32
	max     float64
	nullNaN bool
}

// fastPaths turns the decoding shortcuts on; tests turn them off to check
// that both ways agree.
var fastPaths = true

// readRun reads the elements from idx on that are a run of numbers (a
// tensor's innermost list, or a flat one) with jsonscan.FloatsGap, at most n
// of them, into a float column; it returns how many it stored and whether
// it read the list's ']'. Otherwise l is at the element that ended the
// run, for the general path, which reads it and reports every error, so
// both paths accept exactly the same documents (FuzzFastPathsAgree).
// Other columns read no run.
func readRun(l *lexer, col column, idx, n int) (k int, closed bool) {
	if !fastPaths {
		return 0, false
	}
	switch c := col.(type) {
	case *f32Col:
		k, l.i, closed = jsonscan.FloatsGap(l.b, l.i, c.d[idx:idx+n], c.max, &l.gap)
	case *f64Col:
		k, l.i, closed = jsonscan.FloatsGap(l.b, l.i, c.d[idx:idx+n], math.Inf(1), &l.gap)
	}
	return k, closed
}

func (c *f32Col) read(l *lexer, i int) error {
	if c.nullNaN && l.null() {
		c.d[i] = float32(math.NaN())
		return nil
	}
	f, start, end, exact, p := jsonscan.Float(l.b, l.i) // one call per element
	if p != 0 {
		l.i = start
		return elemError(l, "a number")
	}
	l.i = end
	if !exact {
		var err error
		if f, err = strconv.ParseFloat(string(l.b[start:end]), 64); err != nil && !isRange(err) {
			return fmt.Errorf("%s is out of range for the datatype", l.b[start:end])
		}
	}
	// float32 of the float64, as MLflow and KServe (numpy's astype) give
	// it; a value that rounds to ±Inf is out of range.
	v := float32(f)
	if math.IsInf(float64(v), 0) || math.Abs(float64(v)) > c.max {
		return fmt.Errorf("%s is out of range for the datatype", l.b[start:end])
	}
	c.d[i] = v
	return nil
}

// isRange reports whether err is strconv's out-of-range error.
func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

type f64Col struct {
	d       []float64
	nullNaN bool
}

func (c *f64Col) read(l *lexer, i int) error {
	if c.nullNaN && l.null() {
		c.d[i] = math.NaN()
		return nil
	}
	f, start, end, exact, p := jsonscan.Float(l.b, l.i) // one call per element
	if p != 0 {
		l.i = start
		return elemError(l, "a number")
	}
	l.i = end
	if !exact {
		var err error
		if f, err = strconv.ParseFloat(string(l.b[start:end]), 64); err != nil {
			return fmt.Errorf("%s is out of range for FP64", l.b[start:end])
		}
	}
	c.d[i] = f
	return nil
}

type intCol[T int8 | int16 | int32 | int64] struct {
	d        []T
	min, max int64
}

func (c *intCol[T]) read(l *lexer, i int) error {
	start, end, p := jsonscan.Number(l.b, l.i) // not l.number(): one call per element
	if p != 0 {
		l.i = start
		return elemError(l, "an integer")
	}
	tok := l.b[start:end]
	l.i = end
	v, err := parseInt(tok)
	if err == nil && (v < c.min || v > c.max) {
		err = errRange
	}
	if err != nil {
		return fmt.Errorf("%s is %v for the datatype", tok, err)
	}
	c.d[i] = T(v)
	return nil
}

type uintCol[T uint8 | uint16 | uint32 | uint64] struct {
	d   []T
	max uint64
}

func (c *uintCol[T]) read(l *lexer, i int) error {
	start, end, p := jsonscan.Number(l.b, l.i) // not l.number(): one call per element
	if p != 0 {
		l.i = start
		return elemError(l, "an integer")
	}
	tok := l.b[start:end]
	l.i = end
	v, err := parseUint(tok)
	if err == nil && v > c.max {
		err = errRange
	}
	if err != nil {
		return fmt.Errorf("%s is %v for the datatype", tok, err)
	}
	c.d[i] = T(v)
	return nil
}

type boolCol struct{ d []bool }

func (c *boolCol) read(l *lexer, i int) error {
	v, ok := l.boolean()
	if !ok {
		return elemError(l, "true or false")
	}
	c.d[i] = v
	return nil
}

type strCol struct{ d []string }

func (c *strCol) read(l *lexer, i int) error {
	if l.peek() != '"' {
		return elemError(l, "a string")
	}
	s, err := l.str()
	c.d[i] = s
	return err
}

// parseInt reads an integer token; a token with a fraction or exponent
// must be integral and within ±2^53.
func parseInt(tok []byte) (int64, error) {
	v, err := strconv.ParseInt(string(tok), 10, 64)
	if err == nil {
		return v, nil
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, errRange
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil || f != math.Trunc(f) {
		return 0, errNotInteger
	}
	if math.Abs(f) > maxExactInt {
		return 0, errRange
	}
	return int64(f), nil
}

// parseUint is parseInt for unsigned types.
func parseUint(tok []byte) (uint64, error) {
	if len(tok) > 0 && tok[0] != '-' {
		v, err := strconv.ParseUint(string(tok), 10, 64)
		if err == nil {
			return v, nil
		}
		if errors.Is(err, strconv.ErrRange) {
			return 0, errRange
		}
	}
	v, err := parseInt(tok)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, errRange
	}
	return uint64(v), nil
}

// readData reads tensor data at l into col: a flat array of n elements, an
// array nested exactly as shape, or a bare scalar for rank 0. With
// nestedOnly, only the nested form (or the bare scalar) will do.
func readData(l *lexer, shape []int64, n int, col column, nestedOnly bool) error {
	if l.peek() != '[' || nestedOnly && len(shape) == 0 {
		if len(shape) == 0 {
			return col.read(l, 0)
		}
		return elemError(l, "an array")
	}
	save := l.i
	l.i++
	inner := l.peek()
	l.i = save
	if inner == '[' && len(shape) >= 2 || nestedOnly {
		strides := make([]int, len(shape))
		s := 1
		for k := len(shape) - 1; k >= 0; k-- {
			strides[k] = s
			s *= int(shape[k])
		}
		return readNested(l, shape, strides, 0, 0, col)
	}
	l.i++
	if l.peek() == ']' {
		l.i++
		if n != 0 {
			return fmt.Errorf("has 0 elements, shape %v needs %d", shape, n)
		}
		return nil
	}
	k0, closed := readRun(l, col, 0, n)
	if closed {
		if k0 != n {
			return fmt.Errorf("has %d elements, shape %v needs %d", k0, shape, n)
		}
		return nil
	}
	for k := k0; ; k++ {
		if k >= n {
			return fmt.Errorf("has more than the %d elements shape %v holds", n, shape)
		}
		if err := col.read(l, k); err != nil {
			return fmt.Errorf("element %d: %w", k, err)
		}
		switch l.peek() {
		case ',':
			l.i++
		case ']':
			l.i++
			if k+1 != n {
				return fmt.Errorf("has %d elements, shape %v needs %d", k+1, shape, n)
			}
			return nil
		default:
			return elemError(l, "',' or ']'")
		}
	}
}

// readNested reads dimension level of nested data whose first element is
// element base of the tensor.
func readNested(l *lexer, shape []int64, strides []int, level, base int, col column) error {
	if l.peek() != '[' {
		return fmt.Errorf("dimension %d: %w", level, elemError(l, "an array"))
	}
	l.i++
	dim := int(shape[level])
	count := func(k int) error {
		return fmt.Errorf("dimension %d has %d entries at element %d, shape %v says %d", level, k, base, shape, dim)
	}
	if l.peek() == ']' {
		l.i++
		if dim != 0 {
			return count(0)
		}
		return nil
	}
	last := level == len(shape)-1
	k0 := 0
	if last {
		var closed bool
		if k0, closed = readRun(l, col, base, dim); closed {
			if k0 != dim {
				return count(k0)
			}
			return nil
		}
	}
	for k := k0; ; k++ {
		if k >= dim {
			return fmt.Errorf("dimension %d has more than %d entries at element %d (shape %v)", level, dim, base, shape)
		}
		idx := base + k*strides[level]
		if last {
			if err := col.read(l, idx); err != nil {
				return fmt.Errorf("element %d: %w", idx, err)
			}
		} else if err := readNested(l, shape, strides, level+1, idx, col); err != nil {
			return err
		}
		switch l.peek() {
		case ',':
			l.i++
		case ']':
			l.i++
			if k+1 != dim {
				return count(k + 1)
			}
			return nil
		default:
			return elemError(l, "',' or ']'")
		}
	}
}

// numElements returns the product of shape, or false when a dimension is
// negative or the product exceeds limit. A zero dimension makes it 0
// whatever the others are.
func numElements(shape []int64, limit int64) (int64, bool) {
	zero := false
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		zero = zero || d == 0
	}
	if zero {
		return 0, true
	}
	n := int64(1)
	for _, d := range shape {
		if n > limit/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}
