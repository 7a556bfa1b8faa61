package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	_ "github.com/berthml/berth/flavors/builtin"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/serve"
)

// fixture returns the path of a model directory under testdata/models.
func fixture(name string) string { return filepath.Join("..", "testdata", "models", name) }

// namedModel is a model to serve under a name.
type namedModel struct{ name, fixture string }

// testServer serves the given fixtures with the real ONNX Runtime.
type testServer struct {
	*httptest.Server
	srv *serve.Server
	reg *prometheus.Registry
}

// newTestServer serves models, each a fixture under testdata/models.
func newTestServer(t testing.TB, models []namedModel, opts ...serve.Option) *testServer {
	t.Helper()
	dirs := make([]namedModel, len(models))
	for i, nm := range models {
		dirs[i] = namedModel{nm.name, fixture(nm.fixture)}
	}
	return serveDirs(t, dirs, opts...)
}

// serveDirs serves models whose fixture is the path of a model directory.
func serveDirs(t testing.TB, models []namedModel, opts ...serve.Option) *testServer {
	t.Helper()
	ortest.Init(t)
	reg := prometheus.NewRegistry()
	s := serve.New(append([]serve.Option{serve.WithRegistry(reg, reg)}, opts...)...)
	for _, nm := range models {
		m, err := serve.LoadModel(context.Background(), nm.name, "1", nm.fixture, nil)
		if err != nil {
			t.Fatalf("loading %s: %v", nm.fixture, err)
		}
		s.Add(m)
	}
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return &testServer{Server: ts, srv: s, reg: reg}
}

// response is an HTTP answer read whole.
type response struct {
	status      int
	contentType string
	header      http.Header
	body        []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response %d is not a JSON object: %v: %s", r.status, err, r.body)
	}
	return v
}

// do sends a request; contentType "" sends no Content-Type header.
func do(t testing.TB, method, url, contentType string, body []byte, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header, b}
}

func post(t *testing.T, url, body string) response {
	t.Helper()
	return do(t, http.MethodPost, url, "application/json", []byte(body))
}

// expected reads a fixture's expected.json: sklearn's own predictions.
func expected(t *testing.T, name string) (inputs map[string]any, outputs map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixture(name), "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Inputs  map[string]any `json:"inputs"`
		Outputs map[string]any `json:"outputs"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e.Inputs, e.Outputs
}
