package serve_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/serve"
)

// TestWireShapesFollowTheSignature: the OCR classifier's ONNX graph takes
// [-1, 3, -1, -1], but it can only run what its MLflow signature says,
// [-1, 3, 48, 192]. A v2 or v1 request of another shape, or one without
// elements, is the client's 400 (as on /invocations), not a 500 from the
// runtime.
func TestWireShapesFollowTheSignature(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"ocr", "ocr_cls"}})
	h := ts.srv.Handler()
	for _, tt := range []struct{ path, body, want string }{
		{"/v2/models/ocr/infer", `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,5,0],"data":[]}]}`, "shape"},
		{"/v2/models/ocr/infer", `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,2,2],"data":[0,0,0,0,0,0,0,0,0,0,0,0]}]}`, "shape"},
		{"/v2/models/ocr/infer", `{"inputs":[{"name":"x","datatype":"FP32","shape":[0,3,48,192],"data":[]}]}`, "no elements"},
		{"/v1/models/ocr:predict", `{"instances":[[[[]],[[]],[[]]]]}`, ""},
	} {
		req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("%s %s: %d %s, want 400 with %q", tt.path, tt.body, rec.Code, rec.Body.String(), tt.want)
		}
	}
}

// TestRefusedHostWithUnsentBody: a request from a Host that is not allowed
// and whose body never comes gets its 403 once the body deadline passes
// (net/http reads the unread body before it answers), not never.
func TestRefusedHostWithUnsentBody(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}},
		serve.WithAllowedHosts([]string{"localhost"}), serve.WithBodyTimeout(300*time.Millisecond))
	srv := httptest.NewServer(ts.srv.Handler())
	t.Cleanup(srv.Close)
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := io.WriteString(nc, "POST /invocations HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
}

// TestV2UnknownOutput: an OIP v2 request that asks for an output the model
// does not have is 400 naming the output as an output (it said "input
// \"nope\"" once), before the model runs.
func TestV2UnknownOutput(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}})
	r := post(t, ts.URL+"/v2/models/iris/infer",
		`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}],"outputs":[{"name":"nope"}]}`)
	msg, _ := r.json(t)["error"].(string)
	if r.status != http.StatusBadRequest || !strings.Contains(msg, `unknown output "nope"`) || strings.Contains(msg, "input") {
		t.Errorf("an unknown output: %d %q, want 400 naming it an output", r.status, msg)
	}
}

// TestMethodsOnRoutes: the open routes answer HEAD (a load balancer's
// health check) as GET without a body; GET on KServe V1's :predict, which
// takes POST, is 405 with Allow, not a missing model.
func TestMethodsOnRoutes(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}})
	for _, path := range []string{"/ping", "/health", "/version", "/v2", "/v2/health/live", "/v2/health/ready"} {
		get := do(t, http.MethodGet, ts.URL+path, "", nil)
		head := do(t, http.MethodHead, ts.URL+path, "", nil)
		if head.status != http.StatusOK || head.contentType != get.contentType ||
			head.header.Get("Content-Length") != strconv.Itoa(len(get.body)) {
			t.Errorf("HEAD %s: %d %q, Content-Length %q; want GET's 200 %q and length %d", path, head.status, head.contentType,
				head.header.Get("Content-Length"), get.contentType, len(get.body))
		}
	}
	r := do(t, http.MethodGet, ts.URL+"/v1/models/iris:predict", "", nil)
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != http.MethodPost {
		t.Errorf("GET /v1/models/iris:predict: %d %v %s, want 405 with Allow: POST", r.status, r.header, r.body)
	}
	if r := do(t, http.MethodGet, ts.URL+"/v1/models/nope:predict", "", nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/models/nope:predict: %d %s, want 405", r.status, r.body)
	}
	if r := do(t, http.MethodGet, ts.URL+"/v1/models/nope", "", nil); r.status != http.StatusNotFound {
		t.Errorf("GET /v1/models/nope: %d %s, want 404", r.status, r.body)
	}
}
