package scoring

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/berthml/berth/flavors"
)

// value is node i of d as encoding/json with UseNumber would decode it.
// It gives dense arrays their nodes, and fails t where a number's float64
// (the dense path's or the parser's) is not strconv's for its text.
func (d *doc) value(t *testing.T, i int32) any {
	n := d.nodes[i]
	switch n.kind {
	case kindNull:
		return nil
	case kindFalse:
		return false
	case kindTrue:
		return true
	case kindNumber:
		if n.flags&flagFloat != 0 {
			want, _ := parseFloat(d.raw(i))
			if math.Float64bits(n.f) != math.Float64bits(want) {
				t.Fatalf("number %s: parsed as %v (%#x), strconv gives %v (%#x)", d.raw(i), n.f,
					math.Float64bits(n.f), want, math.Float64bits(want))
			}
		}
		return json.Number(d.raw(i))
	case kindString:
		return d.text(i)
	case kindArray:
		a := []any{}
		for c := d.first(i); c >= 0; c = d.nodes[c].next {
			a = append(a, d.value(t, c))
		}
		return a
	}
	m := map[string]any{}
	for k := d.first(i); k >= 0; {
		v := d.nodes[k].next
		m[d.text(k)] = d.value(t, v)
		k = d.nodes[v].next
	}
	return m
}

// FuzzParseJSON checks the request parser against encoding/json: a body
// it parses is valid JSON with the same values, and valid JSON it refuses
// is nested deeper than MaxDepth. Bodies are UTF-8 (the decoder refuses
// others before parsing).
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		splitBody, `{"inputs": [[5.1, 3.5], [6.9, 3.2]], "params": {"k": [true, false, null]}}`,
		`{"a": "\ud83d\ude00\u00e9\n", "a": -0.5e-3}`, `"\ud800\u0041"`, `[1,]`, `-Infinity`, `01`,
		strings.Repeat("[", 65) + strings.Repeat("]", 65),
		// Runs of numbers long enough to be dense arrays: 17 to 19 and more
		// significant digits, exponents, halfway cases, subnormals, -0,
		// huge exponents; and runs ended by something else.
		`[[-0.4823529124259949, 0.49803924560546875, 1e23, 9007199254740993, -0, 4.9406564584124654e-324, 1e-400, 1e400],
		  [123456789012345678901234567890, 0.30000000000000004, 2.2250738585072014e-308, 1.7976931348623157e308, 5e-324, 2.5e-5, 7E+2, 0.1]]`,
		`[1, 2, 3, 4, 5, 6, 7, 8, 9, "x"]`, `[1, 2, 3, 4, 5, 6, 7, 8, 9 10]`, `[1, 2, 3, 4, 5, 6, 7, 8, 9,]`,
		`[1,2,3,4,5,6,7,8,9,1e999999999999,-1e-99999999,18446744073709551615,1.00000000000000011102230246251565404236316680908203125]`,
		`{"inputs": [[1.5, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8]], "params": [0, 1, 2, 3, 4, 5, 6, 7, null]}`,
		`[0,1,2,3,4,5,6,-7,-Infinity]`, `[0,1,2,3,4,5,6,7,8`, `[0, 1, 2, 3, 4, 5, 6, 7, 8.]`,
		// Rows of a matrix, read by the gap between them, and rows that
		// break that pattern on the way.
		"{\n  \"inputs\": [\n    [\n      5.1,\n      3.5\n    ],\n    [\n      6.9,\n      -3.2\n    ],\n    [\n      7.0,\n      \"x\"\n    ],\n    [\n      1\n    ]\n  ]\n}",
		`[[1, 2], [3, 4], [5, [6]], [7, 8], [9, 10]]`, `[[1,2],[3,4],[5,6],[-7,8]]`, `[[1], [2], [3], []]`,
		`[[1, 2], [3, 4], [5, 6.], [7, 8]]`, `[[1, 2], [3, 4], [5, 6], [7, 8]`, `[[1, 2], [3, 4], [5, 6], [7, 8]`,
		`[[1, 2], [3, 4], [5, 6] [7, 8]]`, `[[1, 2], [3, 4], [5, 6], [7, 8]]]`, `[[1, 2], [3, 4], [ 5, 6], [7, 8]]`,
		strings.Repeat("[", 63) + "[1, 2], [3, 4], [5, 6]" + strings.Repeat("]", 63),
		strings.Repeat("[", 64) + "[1, 2], [3, 4], [5, 6]" + strings.Repeat("]", 64),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		var d doc
		dense := denseFrom{other: 1 + int32(len(s)%2)*7, split: 1 + int32(len(s)%3%2)*7} // every way a decoder may ask
		jerr := parseJSON(&d, s, dense)
		// Rows read by the gap between them give the very doc, or error,
		// that reading them a byte at a time gives.
		var slow doc
		rowRuns = false
		slowErr := parseJSON(&slow, s, dense)
		rowRuns = true
		if !reflect.DeepEqual(jerr, slowErr) || jerr == nil && (!reflect.DeepEqual(d.nodes, slow.nodes) || !reflect.DeepEqual(d.nums, slow.nums)) {
			t.Fatalf("parseJSON(%q) reads rows by their gap differently: %v, %v", s, jerr, slowErr)
		}
		valid := json.Valid([]byte(s))
		if jerr == nil {
			if !valid {
				t.Fatalf("parseJSON accepts %q, which json.Valid refuses", s)
			}
			var want any
			dec := json.NewDecoder(strings.NewReader(s))
			dec.UseNumber()
			if err := dec.Decode(&want); err != nil {
				t.Fatal(err)
			}
			root := int32(0)
			if got := d.value(t, root); !reflect.DeepEqual(got, want) {
				t.Fatalf("parseJSON(%q) = %#v, encoding/json gives %#v", s, got, want)
			}
			return
		}
		if valid && !strings.Contains(jerr.msg, "nesting deeper than") {
			t.Fatalf("parseJSON refuses valid JSON %q: %s at %d", s, jerr.msg, jerr.off)
		}
	})
}

const splitBody = `{"dataframe_split": {"columns": ["a", "b"], "data": [[1, "x"], [2, null]]}}`

// TestArenaDoubles: a large body's arena grows by doubling, a dozen
// reallocations for 250,000 values, so decoding allocates about three
// times its final arena; append's growth by a quarter for large slices
// takes about forty and allocates about five times.
func TestArenaDoubles(t *testing.T) {
	var nodes []node
	grows := 0
	for range 250000 {
		c := cap(nodes)
		nodes = appendNode(nodes, node{})
		if cap(nodes) != c {
			grows++
		}
	}
	if grows > 12 {
		t.Fatalf("the arena grew %d times for 250,000 nodes, want at most 12 (doubling)", grows)
	}
}

// TestShortListsDense pins which short lists of numbers a decoder's
// parse keeps dense (one span of doc.nums, no node per number): those it
// reads as tensors or through fromDenseSplit, not those it reads through
// a node per value.
func TestShortListsDense(t *testing.T) {
	tensor := testDecoder(t, &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.Float32, Shape: []int64{-1, -1}}}},
		flavors.TensorInfo{Name: "x", DType: flavors.Float32, Shape: []int64{-1, -1}})
	named := testDecoder(t, &flavors.Schema{Tensors: []flavors.TensorSpec{{Name: "a", DType: flavors.Float32, Shape: []int64{-1, -1}}}},
		flavors.TensorInfo{Name: "a", DType: flavors.Float32, Shape: []int64{-1, -1}})
	frames := testDecoder(t, &flavors.Schema{Columns: columnsOf("double", "a", "b")},
		flavors.TensorInfo{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 2}})
	mixed := testDecoder(t, &flavors.Schema{Columns: append(columnsOf("long", "a"), columnsOf("double", "b")...)},
		flavors.TensorInfo{Name: "x", DType: flavors.Float64, Shape: []int64{-1, 2}})
	const split = `{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}}`
	for _, tc := range []struct {
		name  string
		dec   *Decoder
		body  string
		dense bool
	}{
		{"tensor rows", tensor, `{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.2, 5.7, 2.3]]}`, true},
		{"tensor instances", tensor, `{"instances": [[5.1, 3.5, 1.4, 0.2]]}`, true},
		{"tensor frame", tensor, split, true}, // positional: the frame is one tensor
		{"named tensor", named, `{"inputs": {"a": [[1, 2]]}}`, true},
		{"named tensors' frame", named, split, false},
		{"frame by columns", frames, split, true},
		{"column dict", frames, `{"inputs": {"a": [1, 2], "b": [3, 4]}}`, false},
		{"frame of mixed columns", mixed, split, false},
		{"frame of mixed columns, long rows", mixed, `{"dataframe_split": {"data": [[1, 2, 3, 4, 5, 6, 7, 8]]}}`, true},
		{"the last member counts", frames, `{"dataframe_split": {"data": [[1, 2]]}, "inputs": {"a": [1, 2]}}`, false},
		{"the last member counts, split last", frames, `{"inputs": {"a": [1, 2]}, "dataframe_split": {"data": [[1, 2]]}}`, true},
	} {
		var d doc
		if jerr := parseJSON(&d, tc.body, tc.dec.dense); jerr != nil {
			t.Fatalf("%s: %s", tc.name, jerr.msg)
		}
		last := int32(-1) // the last list of numbers in the body
		for i, n := range d.nodes {
			if n.kind == kindArray && n.n > 0 && d.firstKind(int32(i)) == kindNumber {
				last = int32(i)
			}
		}
		if got := d.nodes[last].flags&flagDense != 0; got != tc.dense {
			t.Errorf("%s: %s: its last list of numbers dense %v, want %v", tc.name, tc.body, got, tc.dense)
		}
	}
}

// TestReleaseDropsHugeValues: a doc goes back to the pool without the
// values of a body bigger than maxPooledNums numbers (they were kept,
// 4 MiB and more, for as long as the pool kept the doc).
func TestReleaseDropsHugeValues(t *testing.T) {
	dec, err := NewDecoder(ModelSpec{Inputs: []flavors.TensorInfo{{Name: "x", DType: flavors.Float64, Shape: []int64{-1}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1000, maxPooledNums + 1} {
		var d doc
		body := `{"inputs": [` + strings.Repeat("1, ", n-1) + `1]}`
		if jerr := parseJSON(&d, body, allDense); jerr != nil {
			t.Fatal(jerr.msg)
		}
		if len(d.nums) != n {
			t.Fatalf("%d numbers parsed into %d dense values", n, len(d.nums))
		}
		dec.release(&d)
		if kept := d.nums != nil; kept != (n <= maxPooledNums) {
			t.Errorf("%d numbers: values kept %v", n, kept)
		}
	}
}
