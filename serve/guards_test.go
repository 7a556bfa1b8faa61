package serve_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/internal/httpguard"
	"github.com/berthml/berth/internal/httpguard/guardtest"
	"github.com/berthml/berth/serve"
)

// counter reads a counter's value (summed over its series) from reg.
func counter(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var v float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				v += m.GetCounter().GetValue()
			}
		}
	}
	return v
}

// stalledBody is a request body whose client sent the headers and then
// nothing: Read blocks until release is closed.
type stalledBody struct {
	reading chan struct{}
	once    sync.Once
	release chan struct{}
}

func (b *stalledBody) Read([]byte) (int, error) {
	b.once.Do(func() { close(b.reading) })
	<-b.release
	return 0, io.ErrUnexpectedEOF
}

// TestHeadersAloneCostNothing: a request announcing a body just under the
// limit and sending none of it must not make the server reserve that much
// memory (it used to grow its buffer to Content-Length first: ten such
// sockets pinned ~900 MB).
func TestHeadersAloneCostNothing(t *testing.T) {
	s := serve.New(serve.WithRegistry(prometheus.NewRegistry(), prometheus.NewRegistry()))
	s.Add(slowModel(t, &slowPredictor{}))
	s.MarkReady()
	const clients = 4
	release := make(chan struct{})
	bodies := make([]*stalledBody, clients)
	var done sync.WaitGroup
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range clients {
		bodies[i] = &stalledBody{reading: make(chan struct{}), release: release}
		path := []string{"/invocations", "/v2/models/slow/infer", "/v1/models/slow:predict", "/invocations"}[i%4]
		req := httptest.NewRequest(http.MethodPost, path, bodies[i])
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = 100<<20 - 1
		done.Go(func() { s.Handler().ServeHTTP(httptest.NewRecorder(), req) })
	}
	for _, b := range bodies {
		select {
		case <-b.reading:
		case <-time.After(10 * time.Second):
			t.Fatal("the handler never read the body")
		}
	}
	runtime.ReadMemStats(&after)
	close(release)
	done.Wait()
	grown := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d requests announcing 100 MiB each, no body sent: %d KiB allocated", clients, grown>>10)
	if grown > 4<<20 {
		t.Errorf("%d requests that sent only headers made the server allocate %d MiB, want under 4 MiB", clients, grown>>20)
	}
}

// TestBodyTimeout: a body that does not arrive within --body-timeout is
// answered 408 in the protocol's error shape and counted, however it
// stalls: announced and cut short, chunked without an end, or trickled.
func TestBodyTimeout(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := serve.New(serve.WithRegistry(reg, reg), serve.WithBodyTimeout(300*time.Millisecond))
	s.Add(slowModel(t, &slowPredictor{}))
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	addr := ts.Listener.Addr().String()

	routes := []struct{ path, errorKey string }{
		{"/invocations", "error_code"},
		{"/v2/models/slow/infer", "error"},
		{"/v1/models/slow:predict", "error"},
	}
	n := 0
	for _, r := range routes {
		for _, st := range guardtest.Stalls {
			t.Run(r.path+"/"+st.Name, func(t *testing.T) {
				head := "POST " + r.path + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\n"
				resp, body, took := guardtest.Send(t, addr, head, st)
				if resp.StatusCode != http.StatusRequestTimeout {
					t.Fatalf("status %d, want 408: %s", resp.StatusCode, body)
				}
				if took > 2*time.Second {
					t.Errorf("408 came after %v, want it about 300ms in", took)
				}
				if !strings.Contains(string(body), `"`+r.errorKey+`"`) || !strings.Contains(string(body), "--body-timeout") ||
					(r.errorKey == "error_code" && !strings.Contains(string(body), "DEADLINE_EXCEEDED")) {
					t.Errorf("408 body %s: want the protocol's error JSON (%q) naming --body-timeout", body, r.errorKey)
				}
			})
			n++
		}
	}
	if got := counter(t, reg, "berth_http_request_body_timeouts_total"); got != float64(n) {
		t.Errorf("berth_http_request_body_timeouts_total = %v, want %d", got, n)
	}
	// A body that arrives in time is not cut off.
	r := post(t, ts.URL+"/invocations", slowBody)
	if r.status != http.StatusOK {
		t.Errorf("a whole body got %d: %s", r.status, r.body)
	}
}

// TestContentTypes: routes that take JSON refuse what a browser can send
// without asking first (text/plain, forms, no Content-Type), each with 415
// in its protocol's error shape.
func TestContentTypes(t *testing.T) {
	s := serve.New(serve.WithRegistry(prometheus.NewRegistry(), prometheus.NewRegistry()))
	s.Add(slowModel(t, &slowPredictor{}))
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	const (
		mlflowBody = `{"inputs": [[1.0]]}`
		v2Body     = `{"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP32", "data": [1]}]}`
		v1Body     = `{"instances": [[1.0]]}`
	)
	binary := []byte(`{"inputs":[{"name":"x","shape":[1,1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}`)
	headerLen := fmt.Sprint(len(binary))
	binary = append(binary, 0, 0, 0x80, 0x3f) // 1.0 as little-endian float32
	cases := []struct {
		path, contentType, body string
		header                  []string
		want                    int
	}{
		{"/invocations", "application/json", mlflowBody, nil, 200},
		{"/invocations", "text/csv", "x\n1.0\n", nil, 200},
		{"/invocations", "text/plain", mlflowBody, nil, 415},
		{"/invocations", "application/x-www-form-urlencoded", mlflowBody, nil, 415},
		{"/invocations", "", mlflowBody, nil, 415},
		{"/v2/models/slow/infer", "application/json", v2Body, nil, 200},
		{"/v2/models/slow/infer", "application/json; charset=utf-8", v2Body, nil, 200},
		{"/v2/models/slow/infer", "Application/JSON", v2Body, nil, 200},
		{"/v2/models/slow/infer", "application/octet-stream", string(binary), []string{"Inference-Header-Content-Length", headerLen}, 200},
		{"/v2/models/slow/infer", "", string(binary), []string{"Inference-Header-Content-Length", headerLen}, 200},
		{"/v2/models/slow/infer", "text/plain", v2Body, nil, 415},
		{"/v2/models/slow/infer", "text/plain;charset=UTF-8", v2Body, nil, 415},
		{"/v2/models/slow/infer", "application/x-www-form-urlencoded", v2Body, nil, 415},
		{"/v2/models/slow/infer", "multipart/form-data; boundary=x", v2Body, nil, 415},
		{"/v2/models/slow/infer", "", v2Body, nil, 415},
		{"/v2/models/slow/infer", "application/json; charset=latin1", v2Body, nil, 415},
		{"/v2/models/slow/infer", "application/json; ;;", v2Body, nil, 415},
		{"/v2/models/slow/versions/1/infer", "text/plain", v2Body, nil, 415},
		{"/v1/models/slow:predict", "application/json", v1Body, nil, 200},
		{"/v1/models/slow:predict", "text/plain", v1Body, nil, 415},
		{"/v1/models/slow:predict", "application/octet-stream", v1Body, nil, 415},
		{"/v1/models/slow:predict", "", v1Body, nil, 415},
	}
	for _, c := range cases {
		r := do(t, http.MethodPost, ts.URL+c.path, c.contentType, []byte(c.body), c.header...)
		if r.status != c.want {
			t.Errorf("POST %s as %q: %d, want %d: %s", c.path, c.contentType, r.status, c.want, r.body)
			continue
		}
		if c.want != 415 || c.path == "/invocations" {
			continue // MLflow answers its media type errors in plain text
		}
		if e, _ := r.json(t)["error"].(string); !strings.Contains(e, "application/json") {
			t.Errorf("POST %s as %q: 415 should name the accepted types in {\"error\"}: %s", c.path, c.contentType, r.body)
		}
	}
}

// TestAllowedHosts: with an allowlist, a request under another Host (a DNS
// rebinding page) is refused, except on the health routes.
func TestAllowedHosts(t *testing.T) {
	s := serve.New(serve.WithRegistry(prometheus.NewRegistry(), prometheus.NewRegistry()),
		serve.WithAllowedHosts(httpguard.DefaultAllowedHosts("127.0.0.1")))
	s.Add(slowModel(t, &slowPredictor{}))
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	cases := []struct {
		host, method, path string
		want               int
	}{
		{"evil.example:" + port, http.MethodPost, "/invocations", 403},
		{"evil.example", http.MethodPost, "/v2/models/slow/infer", 403},
		{"evil.example", http.MethodGet, "/v2/models/slow", 403},
		{"evil.example", http.MethodGet, "/metrics", 403},
		{"evil.example", http.MethodGet, "/health", 200},
		{"evil.example", http.MethodGet, "/ping", 200},
		{"evil.example", http.MethodGet, "/v2/health/ready", 200},
		{"localhost:" + port, http.MethodPost, "/invocations", 200},
		{"127.0.0.1:" + port, http.MethodPost, "/invocations", 200},
		{"[::1]:" + port, http.MethodPost, "/invocations", 200},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(slowBody))
		req.Header.Set("Content-Type", "application/json")
		req.Host = c.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s with Host %s: %d, want %d: %s", c.method, c.path, c.host, resp.StatusCode, c.want, body)
		}
		if c.want == 403 && string(body) != httpguard.InvalidHostMessage {
			t.Errorf("403 body %q, want %q", body, httpguard.InvalidHostMessage)
		}
	}
}

// TestBearerSchemeAnyCase: RFC 9110 makes the auth scheme case-insensitive.
func TestBearerSchemeAnyCase(t *testing.T) {
	s := serve.New(serve.WithRegistry(prometheus.NewRegistry(), prometheus.NewRegistry()), serve.WithToken("s3cret"))
	s.Add(slowModel(t, &slowPredictor{}))
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for auth, want := range map[string]int{
		"Bearer s3cret": 200, "bearer s3cret": 200, "BEARER  s3cret": 200,
		"Bearer s3cre": 401, "Basic s3cret": 401, "": 401, "Bearer": 401,
	} {
		r := do(t, http.MethodPost, ts.URL+"/invocations", "application/json", []byte(slowBody), "Authorization", auth)
		if r.status != want {
			t.Errorf("Authorization %q: %d, want %d: %s", auth, r.status, want, r.body)
		}
	}
}

// TestResponseLimit: an answer larger than the response limit is a 413
// that names --response-limit, in every protocol; one sure to be too
// large is refused before the model runs.
func TestResponseLimit(t *testing.T) {
	p := &slowPredictor{started: make(chan struct{})}
	s := serve.New(serve.WithRegistry(prometheus.NewRegistry(), prometheus.NewRegistry()), serve.WithResponseLimit(1<<10))
	s.Add(slowModel(t, p))
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	rows := func(n int, v string) string { return strings.TrimSuffix(strings.Repeat("["+v+"],", n), ",") }
	flat := func(n int, v string) string { return strings.TrimSuffix(strings.Repeat(v+",", n), ",") }
	// 2000 rows can never fit 1 KiB: refused before the model runs.
	for _, c := range []struct{ path, body string }{
		{"/invocations", `{"inputs": [` + rows(2000, "1.0") + `]}`},
		{"/v2/models/slow/infer", `{"inputs": [{"name": "x", "shape": [2000, 1], "datatype": "FP32", "data": [` + flat(2000, "1") + `]}]}`},
		{"/v1/models/slow:predict", `{"instances": [` + rows(2000, "1.0") + `]}`},
	} {
		r := post(t, ts.URL+c.path, c.body)
		if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.body), "--response-limit") ||
			!strings.Contains(string(r.body), "1KiB") {
			t.Errorf("POST %s with 2000 rows: %d %s, want 413 naming --response-limit and 1KiB", c.path, r.status, r.body)
		}
	}
	select {
	case <-p.started:
		t.Error("the model ran for a request whose answer could not fit the limit")
	default:
	}
	// 300 rows of 0.1234567 may fit by element count but not once
	// written: the encoder stops at the limit.
	for _, c := range []struct{ path, body string }{
		{"/invocations", `{"inputs": [` + rows(300, "0.1234567") + `]}`},
		{"/v2/models/slow/infer", `{"inputs": [{"name": "x", "shape": [300, 1], "datatype": "FP32", "data": [` + flat(300, "0.1234567") + `]}]}`},
		{"/v1/models/slow:predict", `{"instances": [` + rows(300, "0.1234567") + `]}`},
	} {
		r := post(t, ts.URL+c.path, c.body)
		if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.body), "--response-limit") {
			t.Errorf("POST %s with 300 rows: %d %s, want 413 naming --response-limit", c.path, r.status, r.body)
		}
	}
	// Small answers go through.
	for _, c := range []struct{ path, body string }{
		{"/invocations", `{"inputs": [` + rows(3, "0.5") + `]}`},
		{"/v2/models/slow/infer", `{"inputs": [{"name": "x", "shape": [3, 1], "datatype": "FP32", "data": [1, 2, 3]}]}`},
		{"/v1/models/slow:predict", `{"instances": [` + rows(3, "0.5") + `]}`},
	} {
		if r := post(t, ts.URL+c.path, c.body); r.status != http.StatusOK {
			t.Errorf("POST %s with 3 rows: %d %s", c.path, r.status, r.body)
		}
	}
}
