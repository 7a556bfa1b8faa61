package scoring_test

import (
	"bytes"
	"io"
	"runtime"
	"testing"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
)

// TestEncodeToMatchesEncode: the streamed response is Encode's, byte for
// byte, in every form (one output, the row form, the dict form, maps,
// strings, scalars), and within SizeBound.
func TestEncodeToMatchesEncode(t *testing.T) {
	probs := make([]float32, 3000*3)
	for i := range probs {
		probs[i] = float32(i%97) / 97
	}
	labels := make([]int64, 3000)
	maps := make([]map[string]float32, 3000)
	for i := range maps {
		maps[i] = map[string]float32{"0": 0.25, "1": 0.5, "2": float32(i) / 3000}
	}
	big := &flavors.Tensor{Name: "probabilities", DType: flavors.Float32, Shape: []int64{3000, 3}, Data: probs}
	lab := &flavors.Tensor{Name: "label", DType: flavors.Int64, Shape: []int64{3000}, Data: labels}
	seq := &flavors.Tensor{Name: "output_probability", DType: flavors.Map, Shape: []int64{3000}, Data: maps}
	cases := []struct {
		name string
		outs []*flavors.Tensor
		req  *scoring.Request
	}{
		{"one output", []*flavors.Tensor{big}, &scoring.Request{Rows: 3000}},
		{"rows", []*flavors.Tensor{lab, big}, &scoring.Request{Rows: 3000, Columnar: true}},
		{"dict", []*flavors.Tensor{lab, big}, &scoring.Request{Rows: 3000}},
		{"maps", []*flavors.Tensor{seq}, &scoring.Request{Rows: 3000}},
		{"strings", []*flavors.Tensor{{Name: "s", DType: flavors.String, Shape: []int64{2}, Data: []string{"a\"b", "é"}}}, nil},
		{"scalar", []*flavors.Tensor{{Name: "x", DType: flavors.Float64, Shape: []int64{}, Data: []float64{1.5}}}, nil},
		{"empty", []*flavors.Tensor{{Name: "x", DType: flavors.Float64, Shape: []int64{0, 3}, Data: []float64{}}}, nil},
	}
	dec, err := scoring.NewDecoder(scoring.ModelSpec{Inputs: []flavors.TensorInfo{{Name: "input", DType: flavors.Float32, Shape: []int64{-1, 4}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, werr := dec.Encode(c.outs, c.req)
			var got bytes.Buffer
			gerr := dec.EncodeTo(&got, c.outs, c.req)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("Encode: %v, EncodeTo: %v", werr, gerr)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("EncodeTo wrote %d bytes, Encode %d:\n%.200s\n%.200s", got.Len(), len(want), got.Bytes(), want)
			}
			if b := dec.SizeBound(c.outs, c.req); int64(len(want)) > b {
				t.Fatalf("SizeBound %d < %d", b, len(want))
			}
		})
	}
}

// TestEncodeToBoundedMemory: a 20 MB response ([2000, 1000] float32
// scores) streams with about a chunk of memory; Encode needs the whole
// response (twice: its buffer and the copy it returns).
func TestEncodeToBoundedMemory(t *testing.T) {
	data := make([]float32, 2000*1000)
	for i := range data {
		data[i] = float32(i%1000) / 1001
	}
	outs := []*flavors.Tensor{{Name: "scores", DType: flavors.Float32, Shape: []int64{2000, 1000}, Data: data}}
	dec, err := scoring.NewDecoder(scoring.ModelSpec{Inputs: []flavors.TensorInfo{{Name: "input", DType: flavors.Float32, Shape: []int64{-1, 4}}}})
	if err != nil {
		t.Fatal(err)
	}
	var w countingWriter
	alloc := allocated(func() {
		if err := dec.EncodeTo(&w, outs, &scoring.Request{Rows: 2000}); err != nil {
			t.Fatal(err)
		}
	})
	if w.n < 10<<20 {
		t.Fatalf("the response is %d bytes; the test wants a large one", w.n)
	}
	if alloc > 1<<20 {
		t.Fatalf("streaming a %d-byte response allocated %d bytes, want under 1 MiB", w.n, alloc)
	}
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}
