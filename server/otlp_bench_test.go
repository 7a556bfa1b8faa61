package server_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/berthml/berth/server/servertest"
)

// BenchmarkOTLPIngestOneSpan is MLflow's client's ingest: one root span of
// a new trace per POST /v1/traces, from parallel clients, on SQLite.
func BenchmarkOTLPIngestOneSpan(b *testing.B) {
	srv := servertest.New(b)
	resp, err := http.Post(srv.URL+"/api/2.0/mlflow/experiments/create", "application/json", strings.NewReader(`{"name": "bench"}`))
	if err != nil {
		b.Fatal(err)
	}
	var created struct {
		ExperimentID string `json:"experiment_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	var next atomic.Uint64
	at := time.Now().Add(-time.Hour)
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := next.Add(1)
			td := ptrace.NewTraces()
			sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
			var tid [16]byte
			var sid [8]byte
			binary.BigEndian.PutUint64(tid[8:], k)
			binary.BigEndian.PutUint64(sid[:], k)
			sp.SetTraceID(pcommon.TraceID(tid))
			sp.SetSpanID(pcommon.SpanID(sid))
			sp.SetName("predict")
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at.Add(3 * time.Millisecond)))
			sp.Attributes().PutStr("mlflow.spanType", "LLM")
			body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
			if err != nil {
				b.Error(err)
				return
			}
			req, _ := http.NewRequest("POST", srv.URL+"/v1/traces", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-protobuf")
			req.Header.Set("X-Mlflow-Experiment-Id", created.ExperimentID)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}
