package scoring

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"testing"

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
