package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/berthml/berth/server"
)

// TestBodyOfManyValues: a body of millions of tiny JSON values is refused
// before it is decoded, with 413 and the budget in the message, and costs
// about its own size in memory. A runs/log-batch of 16 MB of "{}" metrics
// used to be decoded whole (5 million structs, over a GB) before its
// count was checked; MLflow's own limit (1,000 metrics) still answers as
// MLflow does.
func TestBodyOfManyValues(t *testing.T) {
	ts := httptest.NewServer(newServer(t).Handler())
	defer ts.Close()
	run, _ := createRun(t, ts.URL, "0")
	const js = "application/json"

	var b strings.Builder
	b.WriteString(`{"run_id":"` + run + `","metrics":[{}`)
	for b.Len() < 16<<20 {
		b.WriteString(",{}")
	}
	b.WriteString("]}")
	body := b.String()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	status, answer := call(t, ts.URL, "POST", "/api/2.0/mlflow/runs/log-batch", js, body)
	runtime.ReadMemStats(&after)
	if status != http.StatusRequestEntityTooLarge || errorCode(t, answer) != "REQUEST_LIMIT_EXCEEDED" ||
		!strings.Contains(answer, "--body-budget") {
		t.Errorf("16 MB of {} metrics: %d %.300s, want 413 REQUEST_LIMIT_EXCEEDED naming --body-budget", status, answer)
	}
	// The client's copy of the body, the server's, and the transport's
	// buffers: a decode would have allocated over a GB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 160<<20 {
		t.Errorf("refusing 16 MB of {} metrics allocated %d MB", alloc>>20)
	}

	metrics := make([]string, 1001)
	for i := range metrics {
		metrics[i] = fmt.Sprintf(`{"key":"m","value":%d,"timestamp":1,"step":%d}`, i, i)
	}
	status, answer = call(t, ts.URL, "POST", "/api/2.0/mlflow/runs/log-batch", js,
		`{"run_id":"`+run+`","metrics":[`+strings.Join(metrics, ",")+`]}`)
	if status != http.StatusBadRequest || !strings.Contains(answer, "at most 1000 metrics. Got 1001 metrics") {
		t.Errorf("1,001 metrics: %d %.300s, want MLflow's 400", status, answer)
	}
	status, answer = call(t, ts.URL, "POST", "/api/2.0/mlflow/runs/log-batch", js,
		`{"run_id":"`+run+`","metrics":[`+strings.Join(metrics[:1000], ",")+`]}`)
	if status != http.StatusOK {
		t.Errorf("1,000 metrics: %d %.300s", status, answer)
	}
}

// TestBodyBudgetIsShared: while one client holds the whole body budget
// with a body it is still sending, another request with a body gets 503
// TEMPORARILY_UNAVAILABLE and Retry-After (MLflow's client retries it),
// requests without one are served, and once the first client is done the
// same request succeeds.
func TestBodyBudgetIsShared(t *testing.T) {
	ts := httptest.NewServer(newServer(t, server.WithBodyBudget(64<<10), server.WithBodyLimit(1<<20)).Handler())
	defer ts.Close()
	const js = "application/json"

	// A body larger than the whole budget could never be read: 413, not a
	// 503 asking the client to try again.
	if status, answer := call(t, ts.URL, "POST", "/api/2.0/mlflow/experiments/create", js, `{"name":"`+strings.Repeat("x", 100<<10)+`"}`); status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(answer, "--body-budget") {
		t.Errorf("a body over the whole budget: %d %.300s, want 413 naming --body-budget", status, answer)
	}

	// The slow client declares 64 kB and sends a byte: its first reserve,
	// 64 kB, is the whole budget, taken as its handler starts reading. A
	// probe that comes in first takes a little of the budget and makes the
	// slow client's reserve fail instead: then both start again.
	var conn net.Conn
	var status int
	var answer string
	var header http.Header
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			t.Fatalf("in 20 tries no request was refused beside a client holding the whole budget: %d %.300s", status, answer)
		}
		var err error
		if conn, err = net.Dial("tcp", ts.Listener.Addr().String()); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n ",
			ts.Listener.Addr(), 64<<10)
		time.Sleep(50 * time.Millisecond)
		status, header, answer = postWith(t, ts.URL+"/api/2.0/mlflow/experiments/create", strings.NewReader(fmt.Sprintf(`{"name":"e%d"}`, attempt)),
			"Content-Type", js)
		if status != http.StatusOK {
			break
		}
		conn.Close()
	}
	defer conn.Close()
	if status != http.StatusServiceUnavailable || errorCode(t, answer) != "TEMPORARILY_UNAVAILABLE" || header.Get("Retry-After") != "1" {
		t.Fatalf("a body beside one holding the whole budget: %d %v %.300s, want 503 TEMPORARILY_UNAVAILABLE with Retry-After: 1", status, header, answer)
	}
	if s, a := call(t, ts.URL, "GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", "", ""); s != http.StatusOK {
		t.Errorf("a GET while the budget is spent: %d %.300s", s, a)
	}

	// The slow client finishes its (blank, so malformed) body: the budget
	// is back.
	if _, err := conn.Write(bytes.Repeat([]byte(" "), 64<<10-1)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s, a := call(t, ts.URL, "POST", "/api/2.0/mlflow/experiments/create", js, `{"name":"after"}`); s != http.StatusOK {
		t.Errorf("the same request once the slow client is done: %d %.300s", s, a)
	}
}

// TestOTLPOfManySpans: an OTLP export of millions of empty spans (two
// bytes each on the wire, hundreds once decoded) is refused with 413
// before it is decoded, in protobuf and in JSON; an export of ordinary
// size is stored.
func TestOTLPOfManySpans(t *testing.T) {
	ts := httptest.NewServer(newServer(t).Handler())
	defer ts.Close()
	exp := "0"
	var pb bytes.Buffer
	// ResourceSpans{ScopeSpans{Span{}, Span{}, ...}}: field 2 of ScopeSpans,
	// each an empty message (0x12 0x00).
	spans := bytes.Repeat([]byte{0x12, 0x00}, 8<<20) // the content of one ScopeSpans
	rs := append(append([]byte{0x12}, uvarint(len(spans))...), spans...)
	pb.Write(append(append([]byte{0x0a}, uvarint(len(rs))...), rs...))
	var js bytes.Buffer
	js.WriteString(`{"resourceSpans":[{"scopeSpans":[{"spans":[{}`)
	for js.Len() < 16<<20 {
		js.WriteString(",{}")
	}
	js.WriteString(`]}]}]}`)
	for _, tc := range []struct {
		ct   string
		body []byte
	}{{"application/x-protobuf", pb.Bytes()}, {"application/json", js.Bytes()}} {
		status, _, b := postWith(t, ts.URL+"/v1/traces", bytes.NewReader(tc.body), "Content-Type", tc.ct, "X-Mlflow-Experiment-Id", exp)
		if status != http.StatusRequestEntityTooLarge || errorCode(t, b) != "REQUEST_LIMIT_EXCEEDED" {
			t.Errorf("%s, 16 MB of empty spans: %d %.300s, want 413 REQUEST_LIMIT_EXCEEDED", tc.ct, status, b)
		}
	}

	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for i := range 100 {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID([16]byte{1, byte(i)})
		sp.SetSpanID([8]byte{2, byte(i)})
		sp.SetName("s")
		sp.Attributes().PutStr("a", "b")
	}
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	if status, _, b := postWith(t, ts.URL+"/v1/traces", bytes.NewReader(body), "Content-Type", "application/x-protobuf", "X-Mlflow-Experiment-Id", exp); status != http.StatusOK {
		t.Errorf("100 spans: %d %.300s", status, b)
	}
}

// postWith POSTs body to url with the headers given as name, value pairs.
func postWith(t *testing.T, url string, body io.Reader, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func uvarint(n int) []byte {
	var b []byte
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}
