package serve_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/serve"
)

// slowPredictor is a unit seam: a model that takes as long as it is told,
// for timeouts and graceful shutdown.
type slowPredictor struct {
	delay   time.Duration
	started chan struct{}
	once    sync.Once
}

var _ flavors.Predictor = (*slowPredictor)(nil)

func (p *slowPredictor) Inputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 1}}}
}
func (p *slowPredictor) Outputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "y", DType: flavors.Float32, Shape: []int64{-1, 1}}}
}
func (p *slowPredictor) Predict(ctx context.Context, in []*flavors.Tensor, _ []string) ([]*flavors.Tensor, error) {
	if p.started != nil {
		p.once.Do(func() { close(p.started) })
	}
	select {
	case <-time.After(p.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return []*flavors.Tensor{{Name: "y", DType: flavors.Float32, Shape: in[0].Shape, Data: in[0].Data}}, nil
}
func (p *slowPredictor) Close() error { return nil }

func slowModel(t *testing.T, p *slowPredictor) *serve.Model {
	t.Helper()
	l := &flavors.Loaded{Model: &flavors.Model{Dir: "slow", MLmodel: &flavors.MLmodel{}}, Flavor: "fake", Predictor: p}
	m, err := serve.NewModel("slow", "1", "slow", l)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const slowBody = `{"inputs": [[1.0]]}`

func TestTimeoutAnswers504(t *testing.T) {
	s := serve.New(serve.WithTimeout(50 * time.Millisecond))
	s.Add(slowModel(t, &slowPredictor{delay: 2 * time.Second}))
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	start := time.Now()
	r := post(t, ts.URL+"/invocations", slowBody)
	if r.status != http.StatusGatewayTimeout || r.json(t)["error_code"] != "DEADLINE_EXCEEDED" {
		t.Fatalf("got %d %s, want 504 DEADLINE_EXCEEDED", r.status, r.body)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("504 came after %v, want it at the deadline", d)
	}
	r = post(t, ts.URL+"/v2/models/slow/infer", `{"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP32", "data": [1]}]}`)
	if r.status != http.StatusGatewayTimeout || r.json(t)["error"] == nil {
		t.Fatalf("v2: got %d %s, want 504 with {\"error\"}", r.status, r.body)
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	p := &slowPredictor{delay: 300 * time.Millisecond, started: make(chan struct{})}
	s := serve.New(serve.WithRegistry(prometheus.NewRegistry(), prometheus.NewRegistry()))
	s.Add(slowModel(t, p))
	s.MarkReady()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	result := make(chan response, 1)
	go func() { result <- post(t, "http://"+ln.Addr().String()+"/invocations", slowBody) }()
	<-p.started
	cancel() // as SIGTERM does in berth serve
	r := <-result
	if r.status != http.StatusOK {
		t.Fatalf("request in flight during shutdown: %d %s", r.status, r.body)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/ping"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestReadinessWaitsForModels(t *testing.T) {
	s := serve.New()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, path := range []string{"/ping", "/health", "/v2/health/ready"} {
		if r := do(t, http.MethodGet, ts.URL+path, "", nil); r.status != http.StatusServiceUnavailable {
			t.Errorf("before models load, GET %s = %d, want 503", path, r.status)
		}
	}
	if r := do(t, http.MethodGet, ts.URL+"/v2/health/live", "", nil); r.status != http.StatusOK {
		t.Errorf("live = %d, want 200 while loading", r.status)
	}
	if r := post(t, ts.URL+"/invocations", slowBody); r.status != http.StatusServiceUnavailable {
		t.Errorf("scoring before ready = %d, want 503", r.status)
	}
	s.Add(slowModel(t, &slowPredictor{}))
	s.MarkReady()
	r := do(t, http.MethodGet, ts.URL+"/ping", "", nil)
	if r.status != http.StatusOK || string(r.body) != "\n" || r.contentType != "application/json" {
		t.Errorf("ready /ping = %d %q %q, want MLflow's 200 \"\\n\" application/json", r.status, r.body, r.contentType)
	}
}

func TestBearerToken(t *testing.T) {
	s := serve.New(serve.WithToken("s3cret"))
	s.Add(slowModel(t, &slowPredictor{}))
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	cases := []struct {
		name, path, auth string
		want             int
	}{
		{"no token", "/invocations", "", 401},
		{"wrong token", "/invocations", "Bearer nope", 401},
		{"not bearer", "/invocations", "Basic czNjcmV0", 401},
		{"right token", "/invocations", "Bearer s3cret", 200},
		{"v2 no token", "/v2/models/slow/infer", "", 401},
		{"v1 no token", "/v1/models/slow:predict", "", 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := slowBody
			if strings.HasPrefix(c.path, "/v2") {
				body = `{"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP32", "data": [1]}]}`
			} else if strings.HasPrefix(c.path, "/v1") {
				body = `{"instances": [[1.0]]}`
			}
			r := do(t, http.MethodPost, ts.URL+c.path, "application/json", []byte(body), "Authorization", c.auth)
			if r.status != c.want {
				t.Fatalf("status %d, want %d: %s", r.status, c.want, r.body)
			}
			if c.want == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	for _, open := range []string{"/ping", "/health", "/version", "/v2/health/live", "/v2/health/ready", "/metrics"} {
		if r := do(t, http.MethodGet, ts.URL+open, "", nil); r.status != 200 {
			t.Errorf("GET %s without a token = %d, want 200", open, r.status)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	s := serve.New(serve.WithBodyLimit(1024))
	s.Add(slowModel(t, &slowPredictor{}))
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	big := `{"inputs": [[` + strings.Repeat("1.0,", 1000) + `1.0]]}`
	r := post(t, ts.URL+"/invocations", big)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413: %s", r.status, r.body)
	}
	if !strings.Contains(string(r.body), "limit of 1KiB") {
		t.Errorf("413 message should say the limit as --body-limit takes it (1KiB): %s", r.body)
	}
	// Chunked, so no Content-Length announces the size up front.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/invocations", strings.NewReader(big))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked oversized body: %d, want 413", resp.StatusCode)
	}
	if r := post(t, ts.URL+"/invocations", slowBody); r.status != 200 {
		t.Errorf("a small body after a large one: %d %s", r.status, r.body)
	}
}

func TestUnsupportedFlavorIsExplained(t *testing.T) {
	_, err := serve.LoadModel(context.Background(), "p", "1", fixture("pyfunc_only"), nil)
	var uf *flavors.UnsupportedFlavorError
	if !errors.As(err, &uf) {
		t.Fatalf("err = %v, want *flavors.UnsupportedFlavorError", err)
	}
	for _, want := range []string{"python_function", "sklearn", "onnx"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
