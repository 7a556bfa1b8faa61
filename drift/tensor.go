package drift

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/berthml/berth/flavors"
)

// Stat is a per-sample summary of one channel of a model input of rank 3
// or more (an image, a sequence).
type Stat string

// The per-sample summaries of a channel.
const (
	StatMean  Stat = "mean"
	StatStd   Stat = "std" // population standard deviation
	StatMin   Stat = "min"
	StatMax   Stat = "max"
	StatZeros Stat = "zeros" // share of the channel's values that are exactly 0
)

// SummaryStats lists the summaries profiled per channel, in feature order.
var SummaryStats = []Stat{StatMean, StatStd, StatMin, StatMax, StatZeros}

func statIndex(s Stat) int {
	for i, t := range SummaryStats {
		if t == s {
			return i
		}
	}
	return -1
}

// MaxChannels is the most channels a rank >= 3 input is summarised by;
// an input whose channel axis is longer is summarised as a whole.
const MaxChannels = 32

// Source says which part of a model input tensor feeds a feature, for
// models whose inputs are tensors rather than named columns. The live
// monitor and the data readers use it to find a feature's values; a
// profile of named columns has none.
type Source struct {
	// Tensor is the model input's name, as ONNX Runtime reports it when
	// the profile was made with the model loaded, else as the signature
	// names it, else "input". A model with a single input feeds it
	// whatever its name.
	Tensor string `json:"tensor"`
	// Rank is the input's rank, batch dimension included.
	Rank int `json:"rank"`
	// Column is, for rank 1 and 2, the column of the [rows, Width]
	// input; for rank >= 3, the channel, or -1 for the whole sample.
	Column int `json:"column"`
	// Width is the number of columns of a rank-2 input (1 for rank 1).
	Width int `json:"width,omitempty"`
	// Axis is the channel axis of a rank >= 3 input (batch is axis 0),
	// 0 when the sample is summarised as a whole; Channels its length.
	Axis     int `json:"axis,omitempty"`
	Channels int `json:"channels,omitempty"`
	// Stat is the per-sample summary of a rank >= 3 input.
	Stat Stat `json:"stat,omitempty"`
	// Shape is a rank >= 3 input's shape as profiled (batch -1), which
	// a sample given as a flat array of numbers is read as.
	Shape []int64 `json:"shape,omitempty"`
	// DType is the input's element type: a value is rounded to it before
	// it is summarised, as the model receives it.
	DType flavors.DType `json:"dtype,omitempty"`
}

func (s *Source) validate() error {
	switch {
	case s.Rank < 1:
		return fmt.Errorf("source rank %d", s.Rank)
	case s.Rank <= 2:
		if s.Width < 1 || s.Column < 0 || s.Column >= s.Width || s.Stat != "" {
			return fmt.Errorf("source column %d of %d", s.Column, s.Width)
		}
	default:
		if statIndex(s.Stat) < 0 {
			return fmt.Errorf("source statistic %q", s.Stat)
		}
		if s.Axis < 0 || s.Axis >= s.Rank {
			return fmt.Errorf("source axis %d of rank %d", s.Axis, s.Rank)
		}
		if s.Axis == 0 && s.Column != -1 {
			return fmt.Errorf("source channel %d without a channel axis", s.Column)
		}
		if s.Axis > 0 && (s.Channels < 1 || s.Channels > MaxChannels || s.Column < 0 || s.Column >= s.Channels) {
			return fmt.Errorf("source channel %d of %d", s.Column, s.Channels)
		}
		if len(s.Shape) != s.Rank || (s.Axis > 0 && s.Shape[s.Axis] != int64(s.Channels)) {
			return fmt.Errorf("source shape %v for rank %d, channel axis %d of %d", s.Shape, s.Rank, s.Axis, s.Channels)
		}
		size := int64(1)
		for _, d := range s.Shape[1:] {
			if d < 1 || d > maxSampleValues/size {
				return fmt.Errorf("source shape %v is not a sample's shape of at most %d values", s.Shape, maxSampleValues)
			}
			size *= d
		}
	}
	return nil
}

// TensorInput is one model input tensor to profile.
type TensorInput struct {
	// Name is the input's name as the model takes it (see Source.Tensor).
	Name string
	// Label prefixes its features' names: the signature's tensor name,
	// else "input" when the model has one input, else Name.
	Label string
	DType flavors.DType
	Shape []int64 // batch first; -1 for a dynamic dimension
}

// TensorInputs returns the inputs of a model whose signature is
// tensor-based (sig's tensors, with the names of runtime, the inputs ONNX
// Runtime reports, when it has as many) or that has no signature (the
// runtime's inputs). sig may be nil and runtime empty, not both.
func TensorInputs(sig *flavors.Schema, runtime []flavors.TensorInfo) ([]TensorInput, error) {
	var ins []TensorInput
	switch {
	case sig != nil && len(sig.Columns) > 0:
		return nil, errors.New("the signature has named columns, not tensors")
	case sig.IsTensor():
		for i, t := range sig.Tensors {
			in := TensorInput{Name: t.Name, Label: t.Name, DType: t.DType, Shape: t.Shape}
			if len(runtime) == len(sig.Tensors) {
				in.Name = runtime[i].Name
			}
			ins = append(ins, in)
		}
	case len(runtime) > 0:
		for _, t := range runtime {
			ins = append(ins, TensorInput{Name: t.Name, DType: t.DType, Shape: t.Shape})
		}
	default:
		return nil, errors.New("the model has no signature and its inputs are not known (load it with ONNX Runtime)")
	}
	for i := range ins {
		in := &ins[i]
		switch {
		case in.Label != "":
		case len(ins) == 1:
			in.Label = "input"
		case in.Name != "":
			in.Label = in.Name
		default:
			in.Label = "input" + strconv.Itoa(i)
		}
		if in.Name == "" {
			in.Name = in.Label
		}
		if _, ok := colType(in.DType); !ok || in.DType == flavors.String || in.DType == flavors.Bool {
			return nil, fmt.Errorf("input %q holds %s, which cannot be profiled", in.Label, in.DType)
		}
		if len(in.Shape) == 0 {
			return nil, fmt.Errorf("input %q is a scalar, which cannot be profiled", in.Label)
		}
	}
	return ins, nil
}

// ColumnName is the name of column j of a rank-2 input labelled label
// when the data does not name it: "label[j]".
func ColumnName(label string, j int) string { return label + "[" + strconv.Itoa(j) + "]" }

// SummaryName is the name of a summary feature: "label.cC.stat", or
// "label.stat" for a sample summarised as a whole (channel -1).
func SummaryName(label string, channel int, s Stat) string {
	if channel < 0 {
		return label + "." + string(s)
	}
	return label + ".c" + strconv.Itoa(channel) + "." + string(s)
}

// ChannelAxis picks the channel axis of an input of the given shape
// (batch first, rank >= 3, dynamic dimensions resolved): axis 1 when it
// has 1 to 4 entries and every later dimension is longer (NCHW); else the
// last axis when it has at most [MaxChannels] entries (NHWC images, and
// the features of a [batch, time, features] sequence); else 0, the sample
// summarised as a whole.
func ChannelAxis(shape []int64) int {
	r := len(shape)
	if r < 3 {
		return 0
	}
	if d := shape[1]; d >= 1 && d <= 4 {
		nchw := true
		for _, t := range shape[2:] {
			if t <= 4 {
				nchw = false
			}
		}
		if nchw {
			return 1
		}
	}
	if d := shape[r-1]; d >= 1 && d <= MaxChannels {
		return r - 1
	}
	return 0
}

// SummaryColumns returns the features of a rank >= 3 input whose shape
// (batch first) has every dimension after the batch resolved: per
// channel, the [SummaryStats].
func SummaryColumns(in TensorInput, shape []int64) ([]Column, error) {
	if len(shape) < 3 {
		return nil, fmt.Errorf("input %q: rank %d, want 3 or more", in.Label, len(shape))
	}
	for _, d := range shape[1:] {
		if d < 1 {
			return nil, fmt.Errorf("input %q: shape %v has an unresolved dimension", in.Label, shape)
		}
	}
	axis := ChannelAxis(shape)
	channels := []int{-1}
	n := 0
	if axis > 0 {
		n = int(shape[axis])
		channels = channels[:0]
		for c := range n {
			channels = append(channels, c)
		}
	}
	var cols []Column
	for _, c := range channels {
		for _, s := range SummaryStats {
			cols = append(cols, Column{
				Name: SummaryName(in.Label, c, s), Type: flavors.ColDouble, Kind: Numeric,
				Source: &Source{Tensor: in.Name, Rank: len(shape), Column: c, Axis: axis, Channels: n, Stat: s,
					Shape: append([]int64{-1}, shape[1:]...), DType: in.DType},
			})
		}
	}
	return cols, nil
}

// MatrixColumns returns the features of a rank-1 or rank-2 input with
// width columns named names (ColumnName when names is nil).
func MatrixColumns(in TensorInput, width int, names []string) []Column {
	typ, _ := colType(in.DType)
	cols := make([]Column, width)
	for j := range width {
		name := ColumnName(in.Label, j)
		if names != nil {
			name = names[j]
		} else if len(in.Shape) == 1 {
			name = in.Label
		}
		cols[j] = Column{Name: name, Type: typ, Source: &Source{Tensor: in.Name, Rank: max(len(in.Shape), 1), Column: j, Width: width}}
	}
	return cols
}

// maxSampleValues bounds the values of one sample.
const maxSampleValues = 1 << 31

// Summarizer computes the per-channel summaries of samples of one input
// laid out as a Source describes: Outer × Channels × Inner values per
// sample, channel c of slice o at o*Channels*Inner + c*Inner.
type Summarizer struct {
	Outer, Channels, Inner int
	acc                    []chanAcc
}

type chanAcc struct {
	n, zeros   int
	sum, sumSq float64
	lo, hi     float64
}

// NewSummarizer returns the summarizer of samples of the given shape
// (batch dimension excluded) with the channel on axis (of the full shape,
// batch = 0; 0 for the whole sample).
func NewSummarizer(sample []int64, axis int) (*Summarizer, error) {
	size := 1
	for _, d := range sample {
		if d < 1 {
			return nil, fmt.Errorf("sample shape %v has an unresolved dimension", sample)
		}
		if d > int64(maxSampleValues/size) {
			return nil, fmt.Errorf("sample shape %v is too large", sample)
		}
		size *= int(d)
	}
	s := &Summarizer{Outer: 1, Channels: 1, Inner: size}
	if axis > 0 {
		if axis > len(sample) {
			return nil, fmt.Errorf("channel axis %d of a rank-%d input", axis, len(sample)+1)
		}
		s.Channels = int(sample[axis-1])
		s.Outer, s.Inner = 1, 1
		for _, d := range sample[:axis-1] {
			s.Outer *= int(d)
		}
		for _, d := range sample[axis:] {
			s.Inner *= int(d)
		}
	}
	s.acc = make([]chanAcc, s.Channels)
	return s, nil
}

// Size is the number of values per sample.
func (s *Summarizer) Size() int { return s.Outer * s.Channels * s.Inner }

// Summarize writes the summaries of one sample (Size values of a numeric
// slice type) into out, len(SummaryStats) per channel, in SummaryStats
// order. NaN and infinite values are left out (the share of zeros is of
// the finite values); a channel without a finite value has NaN summaries,
// and a summary beyond [MaxAbsValue] (or whose sums overflowed) is NaN:
// the profile and the monitor count NaN as a missing value.
func Summarize[T number](s *Summarizer, sample []T, out []float64) {
	for c := range s.acc {
		s.acc[c] = chanAcc{lo: math.Inf(1), hi: math.Inf(-1)}
	}
	for o := range s.Outer {
		base := o * s.Channels * s.Inner
		for c := range s.Channels {
			a := &s.acc[c]
			lo, hi := math.Inf(1), math.Inf(-1)
			var sum, sumSq float64
			n, zeros := 0, 0
			for _, x := range sample[base+c*s.Inner : base+(c+1)*s.Inner] {
				v := float64(x)
				if v-v != 0 { // NaN or infinite: not summarised
					continue
				}
				n++
				sum += v
				sumSq += v * v
				if v < lo {
					lo = v
				}
				if v > hi {
					hi = v
				}
				if v == 0 {
					zeros++
				}
			}
			a.lo, a.hi = math.Min(a.lo, lo), math.Max(a.hi, hi)
			a.n += n
			a.zeros += zeros
			a.sum += sum
			a.sumSq += sumSq
		}
	}
	k := len(SummaryStats)
	for c := range s.Channels {
		a := &s.acc[c]
		o := out[c*k : (c+1)*k]
		if a.n == 0 {
			for i := range o {
				o[i] = math.NaN()
			}
			continue
		}
		n := float64(a.n)
		mean := a.sum / n
		o[0] = mean
		o[1] = math.Sqrt(max(a.sumSq/n-mean*mean, 0))
		o[2], o[3] = a.lo, a.hi
		o[4] = float64(a.zeros) / n
		for i, v := range o { // beyond MaxAbsValue, or sums that overflowed: missing
			if v-v != 0 || math.Abs(v) > MaxAbsValue {
				o[i] = math.NaN()
			}
		}
	}
}

// SummarizeRows summarises rows samples of Size values each, held one
// after another in data (a numeric slice type), into out:
// Channels*len(SummaryStats) values per sample. It reports false for data
// of another type or length.
func SummarizeRows(s *Summarizer, data any, rows int, out []float64) bool {
	size, k := s.Size(), s.Channels*len(SummaryStats)
	if len(out) < rows*k {
		return false
	}
	switch d := data.(type) {
	case []float32:
		return summarizeRows(s, d, rows, size, k, out)
	case []float64:
		return summarizeRows(s, d, rows, size, k, out)
	case []int8:
		return summarizeRows(s, d, rows, size, k, out)
	case []int16:
		return summarizeRows(s, d, rows, size, k, out)
	case []int32:
		return summarizeRows(s, d, rows, size, k, out)
	case []int64:
		return summarizeRows(s, d, rows, size, k, out)
	case []uint8:
		return summarizeRows(s, d, rows, size, k, out)
	case []uint16:
		return summarizeRows(s, d, rows, size, k, out)
	case []uint32:
		return summarizeRows(s, d, rows, size, k, out)
	case []uint64:
		return summarizeRows(s, d, rows, size, k, out)
	}
	return false
}

func summarizeRows[T number](s *Summarizer, d []T, rows, size, k int, out []float64) bool {
	if len(d) != rows*size {
		return false
	}
	for i := range rows {
		Summarize(s, d[i*size:(i+1)*size], out[i*k:(i+1)*k])
	}
	return true
}
