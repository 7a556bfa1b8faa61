package serve_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
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
