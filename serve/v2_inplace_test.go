package serve_test

import (
	"bytes"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
)

// binaryInfer posts x to the OCR model over the binary tensor extension
// and returns the output's two floats.
func binaryInfer(t testing.TB, h http.Handler, x *flavors.Tensor) [2]float32 {
	in, err := oip.NewBinaryInput(x)
	if err != nil {
		t.Fatal(err)
	}
	body, hl, err := oip.EncodeInferRequest(&oip.InferenceRequest{Inputs: []oip.RequestInput{in}})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/v2/models/ocr/infer", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(oip.HeaderInferenceContentLength, strconv.Itoa(hl))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	resp, err := oip.DecodeInferResponse(w.Body.Bytes(), w.Header().Get(oip.HeaderInferenceContentLength))
	if err != nil {
		t.Fatal(err)
	}
	y, err := oip.TensorFromOutput(&resp.Outputs[0])
	if err != nil {
		t.Fatal(err)
	}
	var out [2]float32
	copy(out[:], y.Data.([]float32))
	return out
}

func ocrImage(seed float32) *flavors.Tensor {
	d := make([]float32, 3*48*192)
	for i := range d {
		d[i] = float32(math.Sin(float64(seed) + float64(i)*0.01))
	}
	return &flavors.Tensor{Name: "x", DType: flavors.Float32, Shape: []int64{1, 3, 48, 192}, Data: d}
}

// TestInferBinaryInPlaceConcurrent: binary tensors are read in place from
// pooled body buffers, so a buffer must not go back to the pool before its
// run and response are done. Concurrent requests with different images
// each get their own image's answer.
func TestInferBinaryInPlaceConcurrent(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"ocr", "ocr_cls"}})
	h := ts.srv.Handler()
	const n = 6
	want := make([][2]float32, n)
	for i := range n {
		want[i] = binaryInfer(t, h, ocrImage(float32(i)))
	}
	if want[0] == want[1] {
		t.Fatalf("images 0 and 1 score the same, %v: the test cannot tell them apart", want[0])
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for k := range 10 {
				i := (w + k) % n
				if got := binaryInfer(t, h, ocrImage(float32(i))); got != want[i] {
					t.Errorf("image %d scored %v concurrently, %v alone", i, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestInferBinaryReadsInPlace: the handler does not copy a binary FP32
// tensor out of the request body (110 kB for the OCR image): with every
// allocation profiled, the binary decoder allocates no tensor data for it
// (a slice header put in an interface, 24 bytes, is all).
// (Counting all the bytes a request allocates would not do: under the race
// detector sync.Pool drops buffers at random.)
func TestInferBinaryReadsInPlace(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"ocr", "ocr_cls"}})
	h := ts.srv.Handler()
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1
	before := decodeBinaryBytes()
	for i := range 10 {
		binaryInfer(t, h, ocrImage(float32(i)))
	}
	if n := decodeBinaryBytes() - before; n >= 110592 {
		t.Errorf("the binary decoder allocated %d bytes for 10 requests of a 110592-byte tensor, want headers only", n)
	}
}

// decodeBinaryBytes is what the heap profile says api/oip's binary decoder
// has allocated so far.
func decodeBinaryBytes() int64 {
	runtime.GC() // the profile is published by a completed cycle
	runtime.GC()
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		if n, ok = runtime.MemProfile(recs, true); ok {
			recs = recs[:n]
			break
		}
	}
	var total int64
	for _, r := range recs {
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			if strings.HasSuffix(f.Function, "oip.decodeBinary") {
				total += r.AllocBytes
				break
			}
			if !more {
				break
			}
		}
	}
	return total
}
