package scoring

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/jsonw"
)

// appendMapRef is how a map row was written before mapRows kept the keys:
// sorted for each row.
func appendMapRef(b []byte, m map[string]float32) []byte {
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
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, k)
		b = append(b, ':')
		b = appendFloat(b, float64(m[k]), 32)
	}
	return append(b, '}')
}

// TestMapRowsMatchesSortingEachRow: keeping the last row's keys writes
// what sorting each row's keys wrote, as rows change their keys.
func TestMapRowsMatchesSortingEachRow(t *testing.T) {
	ctl := "\x01\"\\\u2028\xff"
	rows := []map[string]float32{
		{"0": 0.25, "1": 0.75, "10": 0, "2": 1e-5},
		{"2": 1, "10": float32(math.NaN()), "0": 3, "1": 4},
		{"0": 1, "1": 2, "10": 3, "3": 4}, // same size, another key
		{"0": 1},
		{},
		{},
		{ctl: -1e-7, "": 1e21, "b": 2, "a": 3},
		{ctl: 1, "": 2, "b": 3, "a": 4},
		{"0": 0.25, "1": 0.75, "10": 0, "2": 1e-5},
	}
	var r mapRows
	var got, want []byte
	for _, m := range rows {
		got = append(r.append(got, m), ',')
		want = append(appendMapRef(want, m), ',')
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestNestedRunsMatchElements: innermost lists written a run at a time
// (ftoa's list writers, the integer loops) are what writing one element
// at a time wrote, for lists shorter and longer than runBlock, and with a
// limit the output stops past it, within a block of it.
func TestNestedRunsMatchElements(t *testing.T) {
	const n = 2*runBlock + 37
	f32 := make([]float32, 2*n)
	f64 := make([]float64, 2*n)
	i64 := make([]int64, 2*n)
	u8 := make([]uint8, 2*n)
	for i := range f32 {
		f64[i] = math.Sin(float64(i)) * math.Pow(10, float64(i%30-15))
		f32[i] = float32(f64[i])
		i64[i] = int64(i*7919) - 5000
		u8[i] = uint8(i)
	}
	f32[5], f64[6] = float32(math.NaN()), math.Inf(-1)
	i8, i16, i32 := make([]int8, 2*n), make([]int16, 2*n), make([]int32, 2*n)
	u16, u32, u64 := make([]uint16, 2*n), make([]uint32, 2*n), make([]uint64, 2*n)
	for i, v := range i64 {
		i8[i], i16[i], i32[i] = int8(v), int16(v), int32(v)
		u16[i], u32[i], u64[i] = uint16(v), uint32(v), uint64(v)
	}
	for _, data := range []any{f32, f64, i64, u8, i8, i16, i32, u16, u32, u64} {
		for _, shape := range [][]int64{{2, n}, {2 * n}, {3, 1, 5}, {0}, {2, 0}, {}} {
			tensor := &flavors.Tensor{Name: "x", Shape: shape, Data: data}
			el := newElemWriter(tensor)
			if !el.hasRun {
				t.Fatalf("%T: no run writer", data)
			}
			got := appendNested(nil, el, shape, 0, 0)
			want := appendNested(nil, elemWriter{data: el.data}, shape, 0, 0) // one at a time
			if !bytes.Equal(got, want) {
				t.Fatalf("%T %v: runs wrote\n%.200s\none at a time\n%.200s", data, shape, got, want)
			}
			for _, limit := range []int{1, 100, len(want) / 2, len(want) - 1} {
				if limit <= 0 {
					continue
				}
				part := appendNested(nil, el, shape, 0, limit)
				if len(part) <= limit && !bytes.Equal(part, want) || len(part) > limit+32*runBlock {
					t.Fatalf("%T %v limit %d: stopped at %d bytes of %d", data, shape, limit, len(part), len(want))
				}
			}
		}
	}
}
