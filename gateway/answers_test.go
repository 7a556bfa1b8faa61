package gateway_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/internal/httpguard"
)

// rawRequest writes head (a request's header, "\r\n"-separated, without
// the blank line) and body on a new connection to srv and returns the
// connection.
func rawRequest(t *testing.T, srv *httptest.Server, head, body string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	if _, err := io.WriteString(nc, head+"\r\nHost: x\r\n\r\n"+body); err != nil {
		t.Fatal(err)
	}
	return nc
}

// bareGateway is a gateway with one chat endpoint whose upstream is
// never called.
func bareGateway(t *testing.T) *gateway.Gateway {
	t.Helper()
	cfg, err := config.Parse([]byte("endpoints:\n  - name: chat\n    endpoint_type: llm/v1/chat\n"+
		"    model: {provider: openai, name: m, config: {openai_api_key: k, openai_api_base: 'http://127.0.0.1:9/v1'}}\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestStalledBodyIs408: a body that has not arrived within --body-timeout
// is answered 408 in the route's format (not 400, nor 413 on the gateway
// proxy), whether its length was declared or it is chunked without end.
func TestStalledBodyIs408(t *testing.T) {
	g := bareGateway(t)
	mounted, _ := g.Mount()
	var srvs []*httptest.Server
	for _, h := range []http.Handler{g.Handler(), mounted} {
		srv := httptest.NewServer(httpguard.BodyDeadline(h, 100*time.Millisecond, nil))
		t.Cleanup(srv.Close)
		srvs = append(srvs, srv)
	}
	for _, tt := range []struct {
		srv        *httptest.Server
		path, head string
		want       string
	}{
		{srvs[0], "/endpoints/chat/invocations", "Content-Length: 100", `{"detail":"The request body did not arrive in time."}`},
		{srvs[0], "/v1/chat/completions", "Content-Length: 100", `"type":"invalid_request_error"`},
		{srvs[0], "/v1/chat/completions", "Transfer-Encoding: chunked", `"message":"The request body did not arrive in time."`},
		{srvs[1], gateway.ProxyPath, "Content-Length: 100", `"message":"The request body did not arrive in time."`},
	} {
		body := "{"
		if strings.HasPrefix(tt.head, "Transfer") {
			body = "1\r\n{\r\n"
		}
		nc := rawRequest(t, tt.srv, "POST "+tt.path+" HTTP/1.1\r\nContent-Type: application/json\r\n"+tt.head, body)
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.path, tt.head, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s %s: %d %s, want 408 with %s", tt.path, tt.head, resp.StatusCode, b, tt.want)
		}
	}
}

// TestUnreadAnswerIsDropped: a client that sends a request and never reads
// the answer does not hold the gateway's handler (and the answer's memory)
// past the answer's write deadline: the connection is closed.
func TestUnreadAnswerIsDropped(t *testing.T) {
	gw, _ := echoGateway(t, "")
	closed := make(chan struct{})
	// Wrapped as berth gateway and berth server wrap it.
	srv := httptest.NewUnstartedServer(httpguard.WriteProgress(gw.Config.Handler, 300*time.Millisecond))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			close(closed)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	// The echo of 8 MB of content: more than the loopback's buffers take
	// while nobody reads.
	body := `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 7<<20) + `"}]}`
	nc := rawRequest(t, srv, "POST /endpoints/chat/invocations HTTP/1.1\r\nContent-Type: application/json\r\n"+
		"Content-Length: "+strconv.Itoa(len(body)), body)
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("the gateway still holds the connection of a client that does not read its answer")
	}
}

// TestBadJSONEchoIsBounded: the 422 for a body that is not JSON quotes it
// back as MLflow does (ctx.doc), but at most its first 64 kB: a body of
// control bytes would otherwise come back six times its size.
func TestBadJSONEchoIsBounded(t *testing.T) {
	srv, _ := echoGateway(t, "")
	for _, n := range []int{100, 1 << 20} {
		resp, b := post(t, srv.URL+"/endpoints/chat/invocations", strings.Repeat("\x01", n))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b, `"type":"value_error.jsondecode"`) {
			t.Fatalf("%d bytes: %d %.200s", n, resp.StatusCode, b)
		}
		var v struct {
			Detail []struct {
				Ctx struct{ Doc string } `json:"ctx"`
			} `json:"detail"`
		}
		if err := json.Unmarshal([]byte(b), &v); err != nil || len(v.Detail) != 1 {
			t.Fatalf("%d bytes: %v %.200s", n, err, b)
		}
		want := strings.Repeat("\x01", min(n, 64<<10))
		if n > 64<<10 {
			want += "…"
		}
		if got := v.Detail[0].Ctx.Doc; got != want {
			t.Errorf("%d bytes: doc of %d bytes, want %d", n, len(got), len(want))
		}
	}
}

// TestRoutesAndMethods: the list routes match their path only (FastAPI
// answers 404 below them), and a wrong method is 405 in the route's format.
func TestRoutesAndMethods(t *testing.T) {
	srv, _ := echoGateway(t, "")
	for _, tt := range []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/api/2.0/endpoints/chat/extra", 404, `{"detail":"Not Found"}`},
		{"GET", "/api/2.0/gateway/routes/chat/extra", 404, `{"detail":"Not Found"}`},
		{"GET", "/api/2.0/endpoints/", 200, `"name":"chat"`},
		{"GET", "/endpoints/chat/invocations", 405, `{"detail":"Method Not Allowed"}`},
		{"GET", "/v1/chat/completions", 405, `{"error":{"message":"Method Not Allowed","type":"invalid_request_error","param":null,"code":null},"detail":"Method Not Allowed"}`},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s %s: %d %s, want %d with %s", tt.method, tt.path, resp.StatusCode, b, tt.status, tt.want)
		}
		if tt.status == 405 && resp.Header.Get("Allow") != "POST" {
			t.Errorf("%s %s: Allow %q", tt.method, tt.path, resp.Header.Get("Allow"))
		}
	}
}

// TestBodyBudget: the bodies of the queries in flight share a budget; a
// query whose body does not fit is 503 with Retry-After (in the route's
// format), and the budget comes back when a query ends.
func TestBodyBudget(t *testing.T) {
	srv, echo := echoGateway(t, "", gateway.WithBodyBudget(1000))
	echo.SlowDelay = 500 * time.Millisecond
	body := `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 700) + `"}]}`
	done := make(chan string)
	go func() {
		resp, err := http.Post(srv.URL+"/endpoints/chat-slow/invocations", "application/json", strings.NewReader(body))
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- strconv.Itoa(resp.StatusCode) + " " + string(b)
	}()
	time.Sleep(150 * time.Millisecond) // the slow query holds its 748 bytes
	for _, tt := range []struct{ path, want string }{
		{"/endpoints/chat/invocations", `{"detail":"The gateway is holding as many request bodies as it may; try again shortly."}`},
		{"/v1/chat/completions", `"code":"overloaded"`},
	} {
		b := body
		if strings.HasPrefix(tt.path, "/v1/") {
			b = `{"model":"chat",` + body[1:]
		}
		resp, got := post(t, srv.URL+tt.path, b)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || !strings.Contains(got, tt.want) {
			t.Errorf("%s over the budget: %d (Retry-After %q) %s", tt.path, resp.StatusCode, resp.Header.Get("Retry-After"), got)
		}
	}
	if resp, got := post(t, srv.URL+"/endpoints/chat/invocations", hello); resp.StatusCode != http.StatusOK {
		t.Errorf("a small body within the budget: %d %s", resp.StatusCode, got)
	}
	if got := <-done; !strings.HasPrefix(got, "200 ") {
		t.Fatalf("the slow query: %s", got)
	}
	if resp, got := post(t, srv.URL+"/endpoints/chat/invocations", body); resp.StatusCode != http.StatusOK {
		t.Errorf("once the slow query ended: %d %s", resp.StatusCode, got)
	}
	// A body larger than the whole budget could never be read: 413, not
	// a 503 asking the client to try again.
	big := `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 2000) + `"}]}`
	if resp, got := post(t, srv.URL+"/endpoints/chat/invocations", big); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(got, "--gateway-body-budget") {
		t.Errorf("a body over the whole budget: %d %s, want 413 naming --gateway-body-budget", resp.StatusCode, got)
	}
}

// TestContentTypes: a body is read as JSON as FastAPI reads it: without a
// Content-Type, or with application/json or application/*+json whatever
// the parameters and case; anything else is not a dict.
func TestContentTypes(t *testing.T) {
	srv, _ := echoGateway(t, "")
	for _, tt := range []struct {
		ct     string
		status int
	}{
		{"", 200}, {"application/json", 200}, {"application/json; charset=utf-8", 200}, {"Application/JSON", 200},
		{"application/vnd.api+json", 200}, {"application/json; charset", 200},
		{"text/plain", 422}, {"application/x-www-form-urlencoded", 422}, {"application/json/x", 422}, {"json", 422},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/endpoints/chat/invocations", strings.NewReader(hello))
		if tt.ct != "" {
			req.Header.Set("Content-Type", tt.ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || tt.status == 422 && !strings.Contains(string(b), "value is not a valid dict") {
			t.Errorf("Content-Type %q: %d %s, want %d", tt.ct, resp.StatusCode, b, tt.status)
		}
	}
}
