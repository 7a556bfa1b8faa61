package oip

import (
	"bytes"
	"math"
	"testing"

	"github.com/berthml/berth/internal/jsonw"
)

// TestAppendElemsMatchesAppendElem: the typed loops and the map rows
// writer (which keeps the last row's keys) write what jsonw.AppendElem
// writes element by element, in both forms of map rows, whatever blocks
// the elements come in.
func TestAppendElemsMatchesAppendElem(t *testing.T) {
	ctl := "\x01\"\\\u2028\xff"
	maps := []map[string]float32{
		{"a": 1, "b": 0.5},
		{"b": 2, "a": float32(math.NaN())},
		{"a": 3, "b": 4},
		{"a": 3, "c": 4},                        // same size, another key
		{"a": 1},                                // fewer keys
		{},                                      // none
		{},                                      //
		{ctl: -1e-7, "": 1e21, "10": 2, "9": 3}, // escapes, empty key, lexical order
		{ctl: 1, "": 2, "10": 3, "9": 4},
		{"a": 1, "b": 0.5},
	}
	data := []any{
		[]float32{0, 1, -0.1, float32(math.Inf(1)), 1e-7, 3e21, math.MaxFloat32},
		[]float64{0, 1, -0.1, math.NaN(), 1e-300, 1e21},
		[]int8{math.MinInt8, 0, math.MaxInt8},
		[]int16{math.MinInt16, 0, math.MaxInt16},
		[]int32{math.MinInt32, 0, math.MaxInt32},
		[]int64{math.MinInt64, 0, math.MaxInt64},
		[]uint8{0, 255},
		[]uint16{0, math.MaxUint16},
		[]uint32{0, math.MaxUint32},
		[]uint64{0, math.MaxUint64},
		[]bool{true, false},
		[]string{"", "x", ctl},
		maps,
	}
	for _, d := range data {
		n := lenOf(d)
		for _, asStrings := range []bool{true, false} {
			var want []byte
			for i := range n {
				if i > 0 {
					want = append(want, ',')
				}
				want = jsonw.AppendElem(want, d, i, asStrings)
			}
			for _, block := range []int{1, 2, 3, n + 1} {
				var got []byte
				var rows mapRows
				for i := 0; i < n; i += block {
					got = appendElems(got, d, i, min(i+block, n), asStrings, &rows)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%T, strings %v, blocks of %d:\n got %s\nwant %s", d, asStrings, block, got, want)
				}
			}
		}
	}
}

func lenOf(d any) int {
	switch d := d.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []int8:
		return len(d)
	case []int16:
		return len(d)
	case []int32:
		return len(d)
	case []int64:
		return len(d)
	case []uint8:
		return len(d)
	case []uint16:
		return len(d)
	case []uint32:
		return len(d)
	case []uint64:
		return len(d)
	case []bool:
		return len(d)
	case []string:
		return len(d)
	case []map[string]float32:
		return len(d)
	}
	panic("unknown data")
}
