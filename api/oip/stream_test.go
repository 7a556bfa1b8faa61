package oip_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
)

// scoreRows is an [rows, cols] FP32 output of class scores.
func scoreRows(rows, cols int) *flavors.Tensor {
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(i%cols) / float32(cols+1) * float32(1+i%7)
	}
	return &flavors.Tensor{Name: "scores", DType: flavors.Float32, Shape: []int64{int64(rows), int64(cols)}, Data: data}
}

// mapRows is a sequence of maps, as sklearn classifiers converted by
// skl2onnx output their probabilities (ZipMap).
func mapRows(rows int) *flavors.Tensor {
	data := make([]map[string]float32, rows)
	for i := range data {
		data[i] = map[string]float32{"setosa": float32(i%10) / 10, "versicolor": 0.25, "vir\"ginica": float32(i%3) / 3}
	}
	return &flavors.Tensor{Name: "output_probability", DType: flavors.Map, Shape: []int64{int64(rows)}, Data: data}
}

// TestEncodeInferResponseToMatchesEncode: the streamed response is byte
// for byte the one encoded whole, its size bound holds, and both are read
// back to the same tensors.
func TestEncodeInferResponseToMatchesEncode(t *testing.T) {
	nan := &flavors.Tensor{Name: "nan", DType: flavors.Float64, Shape: []int64{4},
		Data: []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e-300}}
	scalar := &flavors.Tensor{Name: "scalar", DType: flavors.Float32, Shape: []int64{}, Data: []float32{0.5}}
	empty := &flavors.Tensor{Name: "empty", DType: flavors.Int64, Shape: []int64{0, 3}, Data: []int64{}}
	cases := []struct {
		name        string
		version, id string
		outputs     []*flavors.Tensor
	}{
		{"every dtype", "1", "req-1", sampleTensors()},
		{"no version or id", "", "", sampleTensors()[:3]},
		{"scores 500x1000", "2", "x", []*flavors.Tensor{scoreRows(500, 1000)}},
		{"maps", "1", "", []*flavors.Tensor{mapRows(5000), scoreRows(5000, 3)}},
		{"nan, scalar, empty", "1", "\"quoted\" id", []*flavors.Tensor{nan, scalar, empty}},
		{"no outputs", "1", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			whole, hl, err := oip.EncodeInferResponse("model \u2028", c.version, c.id, c.outputs, nil)
			if err != nil || hl != -1 {
				t.Fatalf("EncodeInferResponse: header length %d, %v", hl, err)
			}
			var w chunkWriter
			if err := oip.EncodeInferResponseTo(&w, "model \u2028", c.version, c.id, c.outputs, &oip.Request{}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(w.b, whole) {
				t.Fatalf("streamed %d bytes differ from the %d encoded whole:\n%.300s\n%.300s", len(w.b), len(whole), w.b, whole)
			}
			if len(whole) > 200<<10 && w.max > 128<<10 {
				t.Errorf("a write of %d bytes; chunks are about 64 kB", w.max)
			}
			if bound := oip.ResponseSizeBound("model \u2028", c.version, c.id, c.outputs); bound < int64(len(whole)) {
				t.Fatalf("size bound %d under the size %d", bound, len(whole))
			}
			if _, err := oip.DecodeInferResponse(w.b, ""); err != nil {
				t.Fatalf("reading the streamed response back: %v", err)
			}
		})
	}
}

// TestResponseSizeBoundWorstCase: outputs whose every element takes the
// most room stay within the bound.
func TestResponseSizeBoundWorstCase(t *testing.T) {
	ctl := string(bytes.Repeat([]byte{0x01}, 40))
	outs := []*flavors.Tensor{
		{Name: ctl, DType: flavors.Float64, Shape: []int64{3}, Data: []float64{-math.SmallestNonzeroFloat64, -1.2345678901234567e-300, -math.MaxFloat64}},
		{Name: "i", DType: flavors.Int64, Shape: []int64{2}, Data: []int64{math.MinInt64, math.MinInt64}},
		{Name: "u", DType: flavors.Uint64, Shape: []int64{1}, Data: []uint64{math.MaxUint64}},
		{Name: "s", DType: flavors.String, Shape: []int64{2}, Data: []string{ctl, "\u2028\u2029" + ctl}},
		{Name: "m", DType: flavors.Map, Shape: []int64{1}, Data: []map[string]float32{{ctl: -math.SmallestNonzeroFloat32, "\"\\": -math.MaxFloat32}}},
	}
	whole, _, err := oip.EncodeInferResponse(ctl, ctl, ctl, outs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bound := oip.ResponseSizeBound(ctl, ctl, ctl, outs); bound < int64(len(whole)) {
		t.Fatalf("size bound %d under the size %d", bound, len(whole))
	}
}

// TestEncodeInferResponseToErrors: what cannot be streamed is refused
// before anything is written, and a failed write ends the stream.
func TestEncodeInferResponseToErrors(t *testing.T) {
	bad := &flavors.Tensor{Name: "bad", DType: flavors.Float32, Shape: []int64{2}, Data: []float32{1}}
	for name, c := range map[string]struct {
		outs []*flavors.Tensor
		req  *oip.Request
	}{
		"invalid tensor":   {[]*flavors.Tensor{bad}, nil},
		"binary requested": {[]*flavors.Tensor{scoreRows(2, 2)}, &oip.Request{BinaryOutput: true}},
	} {
		t.Run(name, func(t *testing.T) {
			var w chunkWriter
			if err := oip.EncodeInferResponseTo(&w, "m", "1", "", c.outs, c.req); err == nil {
				t.Fatal("no error")
			}
			if len(w.b) != 0 {
				t.Fatalf("wrote %d bytes before failing", len(w.b))
			}
		})
	}
	t.Run("write fails", func(t *testing.T) {
		broken := errors.New("connection reset")
		err := oip.EncodeInferResponseTo(failingWriter{broken}, "m", "1", "", []*flavors.Tensor{scoreRows(2000, 100)}, nil)
		if !errors.Is(err, broken) {
			t.Fatalf("got %v, want the writer's error", err)
		}
	})
}

// TestEncodeInferResponseToBoundedMemory: a response of 20 MB and more
// streams with under 1 MiB allocated; encoded whole it costs its size
// several times over (the growing buffer).
func TestEncodeInferResponseToBoundedMemory(t *testing.T) {
	outs := []*flavors.Tensor{scoreRows(2000, 1000)}
	var w countWriter
	streamed := allocated(func() {
		if err := oip.EncodeInferResponseTo(&w, "m", "1", "", outs, nil); err != nil {
			t.Fatal(err)
		}
	})
	if w.n < 20_000_000 {
		t.Fatalf("the response is %d bytes; the test wants 20 MB or more", w.n)
	}
	whole := allocated(func() {
		if _, _, err := oip.EncodeInferResponse("m", "1", "", outs, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("a %d-byte response: %d bytes allocated streamed, %d encoded whole", w.n, streamed, whole)
	if streamed > 1<<20 {
		t.Fatalf("streaming a %d-byte response allocated %d bytes, want under 1 MiB", w.n, streamed)
	}
	if whole < uint64(w.n) {
		t.Fatalf("encoding whole allocated %d bytes, less than the %d-byte response: the comparison is wrong", whole, w.n)
	}
}

// BenchmarkEncodeOutputs encodes large outputs, whole and streamed, and
// decodes the bytes it wrote back with berth's request decoder
// ("decode"): an [N, 1000] FP32 score output and a sequence of maps (BYTES
// of JSON object strings, read back as strings). The response becomes a
// request by renaming "outputs" to "inputs"; every other byte, the
// model_name and model_version included, is the response's. cpu-MB/s is of
// the response's bytes, cpu-ns/number per number (per map row's value) in
// it, both in CPU time.
func BenchmarkEncodeOutputs(b *testing.B) {
	for _, c := range []struct {
		name    string
		out     *flavors.Tensor
		numbers int
		in      flavors.TensorInfo // the model input that reads the output back
	}{
		{"FP32/2000x1000", scoreRows(2000, 1000), 2000 * 1000, flavors.TensorInfo{Name: "scores", DType: flavors.Float32, Shape: []int64{-1, 1000}}},
		{"maps/100000", mapRows(100000), 3 * 100000, flavors.TensorInfo{Name: "output_probability", DType: flavors.String, Shape: []int64{-1}}},
	} {
		outs := []*flavors.Tensor{c.out}
		whole, _, err := oip.EncodeInferResponse("m", "1", "", outs, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/whole", func(b *testing.B) {
			b.SetBytes(int64(len(whole)))
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, _, err := oip.EncodeInferResponse("m", "1", "", outs, nil); err != nil {
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
				if err := oip.EncodeInferResponseTo(io.Discard, "m", "1", "", outs, nil); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, len(whole), c.numbers, cpu)
		})
		b.Run(c.name+"/decode", func(b *testing.B) {
			body := bytes.Replace(whole, []byte(`"outputs":[`), []byte(`"inputs":[`), 1)
			model := []flavors.TensorInfo{c.in}
			got, err := oip.DecodeInferRequest(body, "", model)
			if err != nil {
				b.Fatal(err)
			}
			checkReadBack(b, got.Inputs, c.out)
			b.SetBytes(int64(len(whole)))
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := oip.DecodeInferRequest(body, "", model); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, len(whole), c.numbers, cpu)
		})
	}
}

// checkReadBack fails b unless the inputs decoded from an encoded response
// hold out's data: the same float32 values, or for a map output one string
// per row that encoding/json reads as that row's map.
func checkReadBack(b *testing.B, got []*flavors.Tensor, out *flavors.Tensor) {
	b.Helper()
	if len(got) != 1 {
		b.Fatalf("decoded %d inputs, want 1", len(got))
	}
	switch want := out.Data.(type) {
	case []float32:
		data, ok := got[0].Data.([]float32)
		if !ok || !slices.Equal(data, want) {
			b.Fatalf("decoded %T of %d values, not the output's %d float32 values", got[0].Data, len(data), len(want))
		}
	case []map[string]float32:
		data, ok := got[0].Data.([]string)
		if !ok || len(data) != len(want) {
			b.Fatalf("decoded %T, want %d strings", got[0].Data, len(want))
		}
		for i, s := range data {
			var m map[string]float32
			if err := json.Unmarshal([]byte(s), &m); err != nil || !maps.Equal(m, want[i]) {
				b.Fatalf("row %d decoded as %q (%v), want %v", i, s, err, want[i])
			}
		}
	default:
		b.Fatalf("output data %T", out.Data)
	}
}

// chunkWriter keeps what is written and the largest single write.
type chunkWriter struct {
	b   []byte
	max int
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	w.max = max(w.max, len(p))
	return len(p), nil
}

type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// allocated is how many bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
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
