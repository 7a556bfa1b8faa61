package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/serve"
)

// BenchmarkInvocations scores one iris row per request over real HTTP from
// parallel clients: the server's per-request cost, ONNX Runtime included.
func BenchmarkInvocations(b *testing.B) {
	ts := newTestServer(b, []namedModel{{"iris", "iris_logreg"}})
	body := []byte(`{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2]]}}`)
	benchPost(b, ts.URL+"/invocations", body)
}

// BenchmarkInferV2 is BenchmarkInvocations over the Open Inference Protocol.
func BenchmarkInferV2(b *testing.B) {
	ts := newTestServer(b, []namedModel{{"iris", "iris_logreg"}})
	body := []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}`)
	benchPost(b, ts.URL+"/v2/models/iris/infer", body)
}

func benchPost(b *testing.B, url string, body []byte) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

// BenchmarkOCRCost is berth's own cost per request around the inference
// of a real CNN (testdata/models/ocr_cls, batch 1), measured in process so
// that no load generator shares the CPUs: each iteration runs bare ONNX
// Runtime once (the flavor's Predict, no HTTP), then the same tensor
// through the server's handler over the binary tensor extension, then
// MLflow's own serving_input_example.json through /invocations. It reports
// the median of each (ms) and the handler's cost beyond the bare run as a
// share of it (binary-own-%, json-own-%); issue 16 wants binary-own-% ≤ 5.
// binary-own-cpu-% is the same share in the CPU time of the benchmark's
// thread (threadCPU), summed over the iterations: it leaves out the time
// spent waiting for a CPU, which wall-clock medians on a loaded machine
// do not.
func BenchmarkOCRCost(b *testing.B) {
	ts := newTestServer(b, []namedModel{{"ocr", "ocr_cls"}})
	h := ts.srv.Handler()
	example, err := os.ReadFile(filepath.Join(fixture("ocr_cls"), "serving_input_example.json"))
	if err != nil {
		b.Fatal(err)
	}
	var ex struct{ Inputs [][][][]float64 }
	if err := json.Unmarshal(example, &ex); err != nil {
		b.Fatal(err)
	}
	data := make([]float32, 0, 3*48*192)
	for _, c := range ex.Inputs[0] {
		for _, r := range c {
			for _, v := range r {
				data = append(data, float32(v))
			}
		}
	}
	x := &flavors.Tensor{Name: "x", DType: flavors.Float32, Shape: []int64{1, 3, 48, 192}, Data: data}
	in, err := oip.NewBinaryInput(x)
	if err != nil {
		b.Fatal(err)
	}
	binBody, headerLen, err := oip.EncodeInferRequest(&oip.InferenceRequest{Inputs: []oip.RequestInput{in}})
	if err != nil {
		b.Fatal(err)
	}
	loaded, err := flavors.Load(context.Background(), fixture("ocr_cls"), flavors.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { loaded.Predictor.Close() })
	post := func(url, contentType string, body []byte, header ...string) {
		req := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%s: %d %s", url, w.Code, w.Body.String())
		}
	}
	var bare, bin, js []time.Duration
	var cpuBare, cpuBin time.Duration
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	for b.Loop() {
		t0, c0 := time.Now(), threadCPU()
		if _, err := loaded.Predictor.Predict(context.Background(), []*flavors.Tensor{x}, nil); err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), threadCPU()
		post("/v2/models/ocr/infer", "application/octet-stream", binBody,
			oip.HeaderInferenceContentLength, strconv.Itoa(headerLen))
		t2, c2 := time.Now(), threadCPU()
		post("/invocations", "application/json", example)
		t3 := time.Now()
		bare, bin, js = append(bare, t1.Sub(t0)), append(bin, t2.Sub(t1)), append(js, t3.Sub(t2))
		cpuBare, cpuBin = cpuBare+c1-c0, cpuBin+c2-c1
	}
	b.ReportMetric(100*float64(cpuBin-cpuBare)/float64(cpuBare), "binary-own-cpu-%")
	med := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2]) / 1e6
	}
	mb, mbin, mjs := med(bare), med(bin), med(js)
	b.ReportMetric(mb, "bare-ms")
	b.ReportMetric(mbin, "binary-ms")
	b.ReportMetric(mjs, "json-ms")
	b.ReportMetric(100*(mbin-mb)/mb, "binary-own-%")
	b.ReportMetric(100*(mjs-mb)/mb, "json-own-%")
}

// TestInvocationsStreamedMatchesWhole: a large /invocations response is
// streamed (its size bound fits the limit) and is byte for byte the
// response encoded whole (a limit under the bound but above the size).
func TestInvocationsStreamedMatchesWhole(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"dataframe_split": {"columns": ` + irisColumns + `, "data": [`)
	for i := range 20000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[%d.1, 3.5, %d.4, 0.2]", 4+i%4, 1+i%6)
	}
	b.WriteString("]}}")
	body := []byte(b.String())
	streamed := do(t, http.MethodPost, newTestServer(t, []namedModel{{"iris", "iris_logreg"}}).URL+"/invocations",
		"application/json", body)
	if streamed.status != 200 || len(streamed.body) < 1<<20 || streamed.header.Get("Content-Length") != "" {
		t.Fatalf("streamed: %d, %d bytes, Content-Length %q (a streamed response has none)", streamed.status,
			len(streamed.body), streamed.header.Get("Content-Length"))
	}
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}}, serve.WithResponseLimit(int64(len(streamed.body))+1))
	whole := do(t, http.MethodPost, ts.URL+"/invocations", "application/json", body)
	if whole.status != 200 || whole.header.Get("Content-Length") == "" {
		t.Fatalf("whole: %d, Content-Length %q", whole.status, whole.header.Get("Content-Length"))
	}
	if !bytes.Equal(streamed.body, whole.body) {
		t.Fatalf("the streamed response (%d bytes) differs from the whole one (%d bytes)", len(streamed.body), len(whole.body))
	}
	if streamed.header.Get("Content-Type") != "application/json" {
		t.Fatalf("streamed Content-Type %q", streamed.header.Get("Content-Type"))
	}
}
