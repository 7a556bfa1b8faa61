package serve_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
