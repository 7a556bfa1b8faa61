package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/berthml/berth/flavors"
)

// MaxSampleBytes is the longest JSON Lines line the readers accept for a
// model with a rank >= 3 input (one image or sequence per line).
const MaxSampleBytes = 64 << 20

// maxNestDepth bounds the nesting of a sample's arrays.
const maxNestDepth = 32

// ParseNested reads a JSON value made of nested arrays of numbers (null
// for a missing value, read as NaN), as a tensor is written in JSON, into
// dst (reset first) and returns the values in row-major order and the
// shape; a bare number has an empty shape. Ragged or empty arrays, and
// values other than numbers and null, are errors.
func ParseNested(raw []byte, dst []float64) ([]float64, []int, error) {
	if !json.Valid(raw) {
		return nil, nil, errors.New("not valid JSON")
	}
	vals := dst[:0]
	var shape, counts []int
	depth, leafDepth := 0, -1
	leaf := func(v float64) error {
		if leafDepth < 0 {
			leafDepth = depth
		} else if depth != leafDepth {
			return errors.New("arrays nest unevenly (ragged)")
		}
		if depth > 0 {
			counts[depth-1]++
		}
		vals = append(vals, v)
		return nil
	}
	for i := 0; i < len(raw); {
		switch c := raw[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case c == '[':
			if leafDepth >= 0 && depth >= leafDepth {
				return nil, nil, errors.New("arrays nest unevenly (ragged)")
			}
			if depth > 0 {
				counts[depth-1]++
			}
			if depth++; depth > maxNestDepth {
				return nil, nil, fmt.Errorf("arrays nest deeper than %d", maxNestDepth)
			}
			if len(counts) < depth {
				counts = append(counts, 0)
				shape = append(shape, -1)
			}
			counts[depth-1] = 0
			i++
		case c == ']':
			n := counts[depth-1]
			if n == 0 {
				return nil, nil, errors.New("an empty array")
			}
			if shape[depth-1] < 0 {
				shape[depth-1] = n
			} else if shape[depth-1] != n {
				return nil, nil, fmt.Errorf("arrays of %d and %d values at depth %d (ragged)", shape[depth-1], n, depth)
			}
			depth--
			i++
		case c == 'n':
			if err := leaf(math.NaN()); err != nil {
				return nil, nil, err
			}
			i += len("null")
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(raw) && (raw[j] == '.' || raw[j] == 'e' || raw[j] == 'E' || raw[j] == '+' || raw[j] == '-' || (raw[j] >= '0' && raw[j] <= '9')) {
				j++
			}
			v, err := strconv.ParseFloat(string(raw[i:j]), 64)
			if err != nil || math.Abs(v) > MaxAbsValue {
				return nil, nil, fmt.Errorf("%s is larger than %g in magnitude", raw[i:j], MaxAbsValue)
			}
			if err := leaf(v); err != nil {
				return nil, nil, err
			}
			i = j
		default:
			return nil, nil, fmt.Errorf("got %s, want numbers in arrays", valueKind(c))
		}
	}
	if leafDepth < 0 {
		return nil, nil, errors.New("no values")
	}
	return vals, shape[:leafDepth], nil
}

func valueKind(c byte) string {
	switch c {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	}
	return strconv.QuoteRune(rune(c))
}

// tensorFeed reads the values of one model input, given as a JSON array
// (a row of a rank-2 input, a sample of a rank >= 3 one), into the
// builder columns its features are.
type tensorFeed struct {
	name string
	src  Source // the shared part: tensor, rank, width, axis, channels, shape, dtype
	// cols, for rank <= 2: the accumulator column of each tensor column,
	// or -1.
	cols []int
	// feats, for rank >= 3: the accumulator column of each channel's
	// summary (channel*len(SummaryStats)+stat), or -1.
	feats []int
	sum   *Summarizer
	shape []int
	vals  []float64
	f32   []float32
	out   []float64
}

// tensorFeeds groups cols' sources by tensor.
func tensorFeeds(cols []Column) (map[string]*tensorFeed, error) {
	feeds := map[string]*tensorFeed{}
	for i, c := range cols {
		s := c.Source
		if s == nil {
			continue
		}
		f := feeds[s.Tensor]
		if f == nil {
			f = &tensorFeed{name: s.Tensor, src: *s}
			if s.Rank <= 2 {
				f.cols = filled(s.Width, -1)
			} else {
				f.feats = filled(max(s.Channels, 1)*len(SummaryStats), -1)
			}
			feeds[s.Tensor] = f
		}
		if s.Rank != f.src.Rank || s.Width != f.src.Width || s.Axis != f.src.Axis || s.Channels != f.src.Channels {
			return nil, fmt.Errorf("features of input %q disagree on its layout", s.Tensor)
		}
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		if s.Rank <= 2 {
			f.cols[s.Column] = i
			continue
		}
		f.feats[max(s.Column, 0)*len(SummaryStats)+statIndex(s.Stat)] = i
	}
	return feeds, nil
}

func filled(n, v int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// add reads one row or sample of f's input from raw into acc.
func (f *tensorFeed) add(acc *accumulator, raw []byte) error {
	vals, shape, err := ParseNested(raw, f.vals)
	if err != nil {
		return err
	}
	f.vals = vals
	if f.src.Rank <= 2 {
		if len(shape) > 1 || len(vals) != f.src.Width {
			return fmt.Errorf("got %d values, want a row of %d", len(vals), f.src.Width)
		}
		for j, v := range vals {
			if i := f.cols[j]; i >= 0 {
				if err := acc.addFloat(i, v); err != nil {
					return fmt.Errorf("column %d: %w", j, err)
				}
			}
		}
		return nil
	}
	if err := f.summarizer(shape, len(vals)); err != nil {
		return err
	}
	switch f.src.DType {
	case flavors.Float32, flavors.Float16, flavors.BFloat16:
		f.f32 = f.f32[:0]
		for _, v := range vals {
			f.f32 = append(f.f32, float32(v))
		}
		Summarize(f.sum, f.f32, f.out)
	default:
		Summarize(f.sum, vals, f.out)
	}
	for k, i := range f.feats {
		if i >= 0 {
			if err := acc.addFloat(i, f.out[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// summarizer readies f.sum for a sample of the given shape: nested to the
// input's rank less the batch, with the profiled channel count, or flat
// with as many values as the profiled shape holds.
func (f *tensorFeed) summarizer(shape []int, n int) error {
	src := f.src
	var sample []int64
	switch {
	case len(shape) == src.Rank-1:
		sample = make([]int64, len(shape))
		for i, d := range shape {
			sample[i] = int64(d)
		}
		if src.Axis > 0 && sample[src.Axis-1] != int64(src.Channels) {
			return fmt.Errorf("a sample of shape %v has %d channels on axis %d, want %d", shape, sample[src.Axis-1], src.Axis, src.Channels)
		}
	case len(shape) == 1 && n == sampleSize(src.Shape):
		sample = src.Shape[1:]
	default:
		return fmt.Errorf("a sample of shape %v, want %v or %d values in one array", shape, src.Shape[1:], sampleSize(src.Shape))
	}
	if f.sum != nil && sameShape(f.shape, sample) {
		return nil
	}
	s, err := NewSummarizer(sample, src.Axis)
	if err != nil {
		return err
	}
	f.sum, f.shape = s, f.shape[:0]
	for _, d := range sample {
		f.shape = append(f.shape, int(d))
	}
	f.out = make([]float64, s.Channels*len(SummaryStats))
	return nil
}

func sampleSize(shape []int64) int {
	n := 1
	for _, d := range shape[1:] {
		n *= int(d)
	}
	return n
}

func sameShape(a []int, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if int64(a[i]) != b[i] {
			return false
		}
	}
	return true
}
