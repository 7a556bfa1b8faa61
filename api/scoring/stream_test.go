package scoring_test

import (
	"bytes"
	"io"
	"runtime"
	"syscall"
	"testing"
	"time"

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

// BenchmarkEncodeLarge encodes large outputs, whole (Encode) and streamed
// (EncodeTo), and decodes the bytes it wrote back with berth's request
// decoder ("decode"): an [N, 1000] float32 score output, read back as an
// "inputs" body of a float32 [-1, 1000] model, and a sequence of 3-key
// maps, read back as "dataframe_records" of a three-column model. Only
// the top-level key differs from the response ("predictions"), so both
// directions are measured on the same numbers' text. cpu-MB/s is of the
// response's bytes, cpu-ns/number per number in it, both in CPU time.
func BenchmarkEncodeLarge(b *testing.B) {
	scores := make([]float32, 2000*1000)
	for i := range scores {
		scores[i] = float32(i%1000) / 1001 * float32(1+i%7)
	}
	maps := make([]map[string]float32, 100000)
	for i := range maps {
		maps[i] = map[string]float32{"setosa": float32(i%10) / 10, "versicolor": 0.25, "virginica": float32(i%3) / 3}
	}
	dec, err := scoring.NewDecoder(scoring.ModelSpec{Inputs: []flavors.TensorInfo{{Name: "input", DType: flavors.Float32, Shape: []int64{-1, 4}}}})
	if err != nil {
		b.Fatal(err)
	}
	scoresIn, err := scoring.NewDecoder(scoring.ModelSpec{Inputs: []flavors.TensorInfo{{Name: "input", DType: flavors.Float32, Shape: []int64{-1, 1000}}}})
	if err != nil {
		b.Fatal(err)
	}
	mapsIn, err := scoring.NewDecoder(scoring.ModelSpec{
		Signature: &flavors.Signature{Inputs: colSchema(flavors.ColFloat, "setosa", "versicolor", "virginica")},
		Inputs:    []flavors.TensorInfo{{Name: "input", DType: flavors.Float32, Shape: []int64{-1, 3}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		out     *flavors.Tensor
		rows    int
		numbers int
		in      *scoring.Decoder
		key     string // the request's top-level key in place of "predictions"
	}{
		{"float32/2000x1000", &flavors.Tensor{Name: "scores", DType: flavors.Float32, Shape: []int64{2000, 1000}, Data: scores}, 2000, 2000 * 1000, scoresIn, "inputs"},
		{"maps/100000", &flavors.Tensor{Name: "output_probability", DType: flavors.Map, Shape: []int64{100000}, Data: maps}, 100000, 3 * 100000, mapsIn, "dataframe_records"},
	} {
		outs := []*flavors.Tensor{c.out}
		req := &scoring.Request{Rows: c.rows}
		whole, err := dec.Encode(outs, req)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/whole", func(b *testing.B) {
			b.SetBytes(int64(len(whole)))
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := dec.Encode(outs, req); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, len(whole), c.numbers, cpu)
		})
		b.Run(c.name+"/streamed", func(b *testing.B) {
			b.SetBytes(int64(len(whole)))
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if err := dec.EncodeTo(io.Discard, outs, req); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, len(whole), c.numbers, cpu)
		})
		b.Run(c.name+"/decode", func(b *testing.B) {
			body := asRequest(b, whole, c.key)
			got, err := c.in.Decode(scoring.FormatJSON, body)
			if err != nil {
				b.Fatal(err)
			}
			checkDecoded(b, got, c.out)
			b.SetBytes(int64(len(whole)))
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := c.in.Decode(scoring.FormatJSON, body); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, len(whole), c.numbers, cpu)
		})
	}
}

// asRequest is the response body resp with its top-level key
// "predictions" renamed to key: the same numbers' text, as a request.
func asRequest(b *testing.B, resp []byte, key string) []byte {
	const prefix = `{"predictions":`
	if !bytes.HasPrefix(resp, []byte(prefix)) {
		b.Fatalf("response starts %.40q, want %q", resp, prefix)
	}
	return append([]byte(`{"`+key+`":`), resp[len(prefix):]...)
}

// checkDecoded fails b unless the request decoded from an encoded response
// holds out's values: the float32 data itself, or a map row per row with
// its values in the order of the columns setosa, versicolor, virginica.
func checkDecoded(b *testing.B, got *scoring.Request, out *flavors.Tensor) {
	b.Helper()
	if len(got.Inputs) != 1 {
		b.Fatalf("decoded %d inputs, want 1", len(got.Inputs))
	}
	data, ok := got.Inputs[0].Data.([]float32)
	if !ok {
		b.Fatalf("decoded %T, want []float32", got.Inputs[0].Data)
	}
	var want []float32
	switch d := out.Data.(type) {
	case []float32:
		want = d
	case []map[string]float32:
		for _, m := range d {
			want = append(want, m["setosa"], m["versicolor"], m["virginica"])
		}
	default:
		b.Fatalf("output data %T", out.Data)
	}
	if len(data) != len(want) {
		b.Fatalf("decoded %d numbers, want %d", len(data), len(want))
	}
	for i := range want {
		if data[i] != want[i] {
			b.Fatalf("number %d decoded as %v, want %v", i, data[i], want[i])
		}
	}
}

// cpuTime is the process's CPU time so far, user and system: on a machine
// shared with other work, MB/s of CPU time is steadier than of wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports cpu-MB/s, size bytes per iteration over the CPU time
// since start, and cpu-ns/number for the numbers in those bytes.
func reportCPU(b *testing.B, size, numbers int, start time.Duration) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/1e6/d.Seconds(), "cpu-MB/s")
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N)/float64(numbers), "cpu-ns/number")
	}
}
