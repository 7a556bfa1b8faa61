package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/berthml/berth/flavors"
)

// BenchmarkHandlerV2 is one OIP v2 request through the server's handler
// without a network: the server's own allocations per request.
func BenchmarkHandlerV2(b *testing.B) {
	ts := newTestServer(b, []namedModel{{"iris", "iris_logreg"}})
	h := ts.srv.Handler()
	body := []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}`)
	b.ReportAllocs()
	for b.Loop() {
		// A context cancelled at the end, as net/http gives each request.
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v2/models/iris/infer", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		cancel()
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkHandlerInvocations is BenchmarkHandlerV2 for /invocations.
func BenchmarkHandlerInvocations(b *testing.B) {
	ts := newTestServer(b, []namedModel{{"iris", "iris_logreg"}})
	h := ts.srv.Handler()
	body := []byte(`{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2]]}}`)
	b.ReportAllocs()
	for b.Loop() {
		// A context cancelled at the end, as net/http gives each request.
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/invocations", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		cancel()
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// barebonesHandler is bench/cmd/barebones's handler (keep the two alike):
// the least a Go scoring server does for iris — encoding/json into a fixed
// struct, one run of the ONNX flavor, encoding/json out.
func barebonesHandler(p flavors.Predictor) http.HandlerFunc {
	in := p.Inputs()[0]
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Split struct {
				Data [][]float32 `json:"data"`
			} `json:"dataframe_split"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Split.Data) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		rows := req.Split.Data
		data := make([]float32, 0, len(rows)*4)
		for _, row := range rows {
			data = append(data, row...)
		}
		x := &flavors.Tensor{Name: in.Name, DType: flavors.Float32, Shape: []int64{int64(len(rows)), 4}, Data: data}
		outs, err := p.Predict(r.Context(), []*flavors.Tensor{x}, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"predictions": outs[0].Data})
	}
}

// BenchmarkIrisOwnCost is berth's own cost per iris request beside the
// bare-bones server's, in process (no load generator shares the CPUs, no
// network): each iteration sends one row to bench/cmd/barebones's handler,
// then to berth's /invocations, then to /v2/models/iris/infer, all through
// httptest. It reports each one's median (µs), berth's cost beyond the
// bare-bones handler (own-µs) and bare ÷ berth, the ratio that `make
// bench` measures over HTTP at c=64 (where net/http's connection work,
// the same for both, is added to each side), and each one's allocations
// per request (the request and recorder of httptest included). (Measured
// in the thread's CPU time, as BenchmarkOCRCost also is, the locked thread
// and the clock reads added about 0.5 µs to berth's side here: at this
// scale wall-clock medians perturb less.)
func BenchmarkIrisOwnCost(b *testing.B) {
	ts := newTestServer(b, []namedModel{{"iris", "iris_logreg"}})
	h := ts.srv.Handler()
	loaded, err := flavors.Load(context.Background(), fixture("iris_logreg"), flavors.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { loaded.Predictor.Close() })
	bare := barebonesHandler(loaded.Predictor)
	split := []byte(`{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2]]}}`)
	v2 := []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}`)
	send := func(h http.Handler, url string, body []byte) time.Duration {
		t0 := time.Now()
		// net/http gives each request a context it cancels when the
		// request ends; the flavor watches such a context during the run.
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		cancel()
		d := time.Since(t0)
		if w.Code != 200 {
			b.Fatalf("%s: %d %s", url, w.Code, w.Body.String())
		}
		return d
	}
	allocs := func(h http.Handler, url string, body []byte) float64 {
		return testing.AllocsPerRun(200, func() { send(h, url, body) })
	}
	ab, ai, av := allocs(bare, "/invocations", split), allocs(h, "/invocations", split), allocs(h, "/v2/models/iris/infer", v2)
	var tb, ti, tv []time.Duration
	for b.Loop() {
		tb = append(tb, send(bare, "/invocations", split))
		ti = append(ti, send(h, "/invocations", split))
		tv = append(tv, send(h, "/v2/models/iris/infer", v2))
	}
	med := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2]) / 1e3
	}
	mb, mi, mv := med(tb), med(ti), med(tv)
	b.ReportMetric(mb, "bare-µs")
	b.ReportMetric(mi, "invocations-µs")
	b.ReportMetric(mv, "v2-µs")
	b.ReportMetric(mi-mb, "invocations-own-µs")
	b.ReportMetric(mv-mb, "v2-own-µs")
	b.ReportMetric(mb/mi, "bare/invocations")
	b.ReportMetric(mb/mv, "bare/v2")
	b.ReportMetric(ab, "bare-allocs")
	b.ReportMetric(ai, "invocations-allocs")
	b.ReportMetric(av, "v2-allocs")
}
