package serve_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHandlerV2 is one OIP v2 request through the server's handler
// without a network: the server's own allocations per request.
func BenchmarkHandlerV2(b *testing.B) {
	ts := newTestServer(b, []namedModel{{"iris", "iris_logreg"}})
	h := ts.srv.Handler()
	body := []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}`)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v2/models/iris/infer", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
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
		req := httptest.NewRequest(http.MethodPost, "/invocations", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
