package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/iristest"
	"github.com/berthml/berth/serve"
)

// histogram returns the sample count and sum of a histogram series.
func histogram(t *testing.T, reg prometheus.Gatherer, name string) (count uint64, sum float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				count += m.GetHistogram().GetSampleCount()
				sum += m.GetHistogram().GetSampleSum()
			}
		}
	}
	return count, sum
}

// heldBody reads first, then waits for start before reading rest.
type heldBody struct {
	first, rest string
	start       chan struct{}
	sent        bool
}

func (h *heldBody) Read(p []byte) (int, error) {
	if !h.sent {
		h.sent = true
		return copy(p, h.first), nil
	}
	<-h.start
	if h.rest == "" {
		return 0, io.EOF
	}
	n := copy(p, h.rest)
	h.rest = h.rest[n:]
	return n, nil
}

// waitGauge waits until the gauge name (summed over its series) reads want.
func waitGauge(t *testing.T, reg prometheus.Gatherer, name string, want float64) {
	t.Helper()
	var got float64
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got = 0
		for _, mf := range mfs {
			if mf.GetName() == name {
				for _, m := range mf.GetMetric() {
					got += m.GetGauge().GetValue()
				}
			}
		}
		if got == want {
			return
		}
	}
	t.Fatalf("%s = %v after 10s, want %v", name, got, want)
}

// TestBatchingIris scores iris through real ONNX Runtime with batching on,
// from many clients at once over both protocols with 1 to 4 rows each:
// every answer is the one the same rows get without batching, and the
// metrics show runs that held several requests.
func TestBatchingIris(t *testing.T) {
	rows := iristest.Rows(t)
	plain := newTestServer(t, []namedModel{{"iris", "iris_logreg"}})
	batched := newTestServer(t, []namedModel{{"iris", "iris_logreg"}},
		serve.WithBatching(serve.BatchConfig{MaxBatchSize: 16, MaxQueueDelay: 20 * time.Millisecond}))

	body := func(i int, v2 bool) string {
		n := 1 + i%4
		var data [][]float64
		for k := range n {
			data = append(data, rows[(i*7+k)%len(rows)])
		}
		b, _ := json.Marshal(data)
		if v2 {
			flat := strings.NewReplacer("[", "", "]", "").Replace(string(b))
			return fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 4], "datatype": "FP32", "data": [%s]}]}`, n, flat)
		}
		return fmt.Sprintf(`{"dataframe_split": {"columns": %s, "data": %s}}`, irisColumns, b)
	}
	path := func(v2 bool) string {
		if v2 {
			return "/v2/models/iris/infer"
		}
		return "/invocations"
	}
	const clients, each = 16, 12
	// The unbatched answers first. Then the batched server gets the same
	// requests in rounds: every client of a round sends its headers and a
	// first byte, and the rest of its body only once the whole round is
	// in the server, so that runs gather several requests however loaded
	// the machine is (a request counts as on its way from then on).
	want := make([]string, clients*each)
	for i := range want {
		want[i] = string(do(t, http.MethodPost, plain.URL+path(i%2 == 1), "application/json", []byte(body(i, i%2 == 1))).body)
	}
	var wg sync.WaitGroup
	errs := make(chan string, clients*each)
	for k := range each {
		start := make(chan struct{})
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				i := c*each + k
				v2 := i%2 == 1
				b := body(i, v2)
				req, _ := http.NewRequest(http.MethodPost, batched.URL+path(v2), &heldBody{first: b[:1], rest: b[1:], start: start})
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- fmt.Sprintf("request %d: %v", i, err)
					return
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(got) != want[i] {
					errs <- fmt.Sprintf("request %d: batched %d %s, unbatched %s", i, resp.StatusCode, got, want[i])
				}
			}()
		}
		waitGauge(t, batched.reg, "berth_requests_in_flight", clients)
		close(start)
		wg.Wait()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	runs, rowsRun := histogram(t, batched.reg, "berth_batch_size")
	var wantRows float64
	for i := range clients * each {
		wantRows += float64(1 + i%4)
	}
	if runs == 0 || rowsRun != wantRows {
		t.Fatalf("berth_batch_size: %d runs holding %v rows, want all %v rows", runs, rowsRun, wantRows)
	}
	t.Logf("%d requests, %v rows in %d runs (%.1f rows per run)", clients*each, rowsRun, runs, rowsRun/float64(runs))
	// Each round of 16 arrives at once: its 40 rows fit three runs of at
	// most 16, so a batcher that gathers makes far fewer runs than requests.
	if runs > clients*each/4 {
		t.Errorf("%d runs for %d requests arriving %d at a time: too little was batched", runs, clients*each, clients)
	}
	if n, _ := histogram(t, batched.reg, "berth_batch_queue_duration_seconds"); n != clients*each {
		t.Errorf("queue time observed %d times, want once per request", n)
	}
	if problems, err := testutil.GatherAndLint(batched.reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

// echoPredictor is a unit seam: a [rows, 1] model that answers its input
// doubled after a delay, counts its runs and the largest concurrency it
// saw, and fails any run holding a negative value.
type echoPredictor struct {
	delay       time.Duration
	shape       []int64
	runs        atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
}

func (p *echoPredictor) Inputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: p.shape}}
}
func (p *echoPredictor) Outputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "y", DType: flavors.Float32, Shape: p.shape}}
}
func (p *echoPredictor) Predict(ctx context.Context, in []*flavors.Tensor, _ []string) ([]*flavors.Tensor, error) {
	p.runs.Add(1)
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for {
		m := p.maxInFlight.Load()
		if n <= m || p.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	select {
	case <-time.After(p.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	x := in[0].Data.([]float32)
	y := make([]float32, len(x))
	for i, v := range x {
		if v < 0 {
			return nil, &flavors.InputError{Msg: "negative input"}
		}
		y[i] = 2 * v
	}
	return []*flavors.Tensor{{Name: "y", DType: flavors.Float32, Shape: in[0].Shape, Data: y}}, nil
}
func (p *echoPredictor) Close() error { return nil }

func echoServer(t *testing.T, p *echoPredictor, opts ...serve.Option) *testServer {
	t.Helper()
	if p.shape == nil {
		p.shape = []int64{-1, 1}
	}
	reg := prometheus.NewRegistry()
	s := serve.New(append([]serve.Option{serve.WithRegistry(reg, reg)}, opts...)...)
	l := &flavors.Loaded{Model: &flavors.Model{Dir: "echo", MLmodel: &flavors.MLmodel{}}, Flavor: "fake", Predictor: p}
	m, err := serve.NewModel("echo", "1", "echo", l)
	if err != nil {
		t.Fatal(err)
	}
	s.Add(m)
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return &testServer{Server: ts, srv: s, reg: reg}
}

func echoBody(v float64) string {
	return fmt.Sprintf(`{"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP32", "data": [%v]}]}`, v)
}

// fireAll sends the bodies at once and returns the answers in order.
func fireAll(t *testing.T, url string, bodies []string) []response {
	t.Helper()
	out := make([]response, len(bodies))
	var wg sync.WaitGroup
	for i, b := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = do(t, http.MethodPost, url, "application/json", []byte(b))
		}()
	}
	wg.Wait()
	return out
}

// TestBatchingBadRequestFailsAlone batches a request the model refuses
// with good ones: the batch fails, each request is retried alone, and only
// the bad one gets its error.
func TestBatchingBadRequestFailsAlone(t *testing.T) {
	p := &echoPredictor{delay: 20 * time.Millisecond}
	ts := echoServer(t, p, serve.WithBatching(serve.BatchConfig{MaxBatchSize: 64, MaxQueueDelay: 50 * time.Millisecond}),
		serve.WithMaxConcurrentRuns(1))
	bodies := make([]string, 12)
	for i := range bodies {
		bodies[i] = echoBody(float64(i + 1))
	}
	bodies[5] = echoBody(-1)
	for i, r := range fireAll(t, ts.URL+"/v2/models/echo/infer", bodies) {
		if i == 5 {
			if r.status != http.StatusBadRequest {
				t.Errorf("the bad request: %d %s, want 400", r.status, r.body)
			}
			continue
		}
		var ans struct {
			Outputs []struct{ Data []float64 } `json:"outputs"`
		}
		if r.status != 200 || json.Unmarshal(r.body, &ans) != nil || ans.Outputs[0].Data[0] != float64(2*(i+1)) {
			t.Errorf("request %d: %d %s, want y = %d", i, r.status, r.body, 2*(i+1))
		}
	}
}

// TestBatchingQueueFull fills a one-request queue behind a slow model:
// the overflow is answered 503 with Retry-After, never another 5xx, and
// the queued requests still succeed.
func TestBatchingQueueFull(t *testing.T) {
	p := &echoPredictor{delay: 200 * time.Millisecond}
	ts := echoServer(t, p, serve.WithBatching(serve.BatchConfig{MaxBatchSize: 2, MaxQueueSize: 1}), serve.WithMaxConcurrentRuns(1))
	bodies := make([]string, 10)
	for i := range bodies {
		bodies[i] = echoBody(1)
	}
	var ok, busy int
	for _, r := range fireAll(t, ts.URL+"/v2/models/echo/infer", bodies) {
		switch {
		case r.status == 200:
			ok++
		case r.status == http.StatusServiceUnavailable && r.header.Get("Retry-After") == "1":
			busy++
		default:
			t.Errorf("got %d %s (Retry-After %q)", r.status, r.body, r.header.Get("Retry-After"))
		}
	}
	if ok == 0 || busy == 0 {
		t.Errorf("%d answered, %d turned away; want both", ok, busy)
	}
	r := post(t, ts.URL+"/invocations", `{"inputs": [[1.0]]}`)
	if r.status != 200 {
		t.Errorf("after the burst: %d %s", r.status, r.body)
	}
}

// TestMaxConcurrentRuns limits runs without batching, and batching with
// one worker still never runs the model twice at once.
func TestMaxConcurrentRuns(t *testing.T) {
	for _, opts := range [][]serve.Option{
		{serve.WithMaxConcurrentRuns(1)},
		{serve.WithMaxConcurrentRuns(1), serve.WithBatching(serve.BatchConfig{MaxBatchSize: 4})},
	} {
		p := &echoPredictor{delay: 10 * time.Millisecond}
		ts := echoServer(t, p, opts...)
		bodies := make([]string, 8)
		for i := range bodies {
			bodies[i] = echoBody(1)
		}
		for _, r := range fireAll(t, ts.URL+"/v2/models/echo/infer", bodies) {
			if r.status != 200 {
				t.Errorf("%d %s", r.status, r.body)
			}
		}
		if got := p.maxInFlight.Load(); got != 1 {
			t.Errorf("%d runs at once, want 1", got)
		}
	}
}

// TestBatchingLoneRequestDoesNotWait: with nobody else around, a request
// runs at once instead of waiting out the queue delay.
func TestBatchingLoneRequestDoesNotWait(t *testing.T) {
	p := &echoPredictor{}
	ts := echoServer(t, p, serve.WithBatching(serve.BatchConfig{MaxBatchSize: 32, MaxQueueDelay: time.Second}))
	start := time.Now()
	for range 5 {
		if r := post(t, ts.URL+"/v2/models/echo/infer", echoBody(1)); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("5 lone requests took %v with a 1s queue delay: they waited", d)
	}
}

// TestBatchingNeedsDynamicBatchDim leaves a model with a fixed batch
// dimension unbatched, and a queued request whose deadline passes gets 504.
func TestBatchingNeedsDynamicBatchDim(t *testing.T) {
	p := &echoPredictor{shape: []int64{1, 1}}
	ts := echoServer(t, p, serve.WithBatching(serve.BatchConfig{MaxBatchSize: 8}))
	for _, r := range fireAll(t, ts.URL+"/v2/models/echo/infer", []string{echoBody(1), echoBody(2), echoBody(3)}) {
		if r.status != 200 {
			t.Errorf("%d %s", r.status, r.body)
		}
	}
	if n, _ := histogram(t, ts.reg, "berth_batch_size"); n != 0 {
		t.Errorf("a fixed-batch model was batched (%d runs)", n)
	}

	slow := &echoPredictor{delay: 300 * time.Millisecond}
	ts = echoServer(t, slow, serve.WithBatching(serve.BatchConfig{MaxBatchSize: 2}), serve.WithMaxConcurrentRuns(1),
		serve.WithTimeout(100*time.Millisecond))
	for _, r := range fireAll(t, ts.URL+"/v2/models/echo/infer", []string{echoBody(1), echoBody(2), echoBody(3), echoBody(4)}) {
		if r.status != http.StatusGatewayTimeout {
			t.Errorf("%d %s, want 504", r.status, r.body)
		}
	}
}

// TestBatchingCarryDoesNotStall sends two requests that do not fit one
// batch together and nothing after them: the one that did not fit must
// run in the next batch rather than wait for a request that never comes
// (it once waited for its per-request timeout).
func TestBatchingCarryDoesNotStall(t *testing.T) {
	p := &echoPredictor{delay: 20 * time.Millisecond}
	ts := echoServer(t, p, serve.WithBatching(serve.BatchConfig{MaxBatchSize: 4, MaxQueueDelay: 50 * time.Millisecond}),
		serve.WithMaxConcurrentRuns(2), serve.WithTimeout(3*time.Second))
	three := `{"inputs": [{"name": "x", "shape": [3, 1], "datatype": "FP32", "data": [1, 2, 3]}]}`
	for round := range 5 {
		start := time.Now()
		for _, r := range fireAll(t, ts.URL+"/v2/models/echo/infer", []string{three, three}) {
			if r.status != 200 {
				t.Fatalf("round %d: %d %s", round, r.status, r.body)
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("round %d took %v: a request waited for company that never came", round, d)
		}
	}
}
