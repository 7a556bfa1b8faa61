package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// startUpstream serves the stand-in upstream on a loopback port.
func startUpstream(t *testing.T, delay time.Duration) string {
	t.Helper()
	answer, err := cannedAnswer(directBody)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = serveUpstream(ln, delay, answer) }()
	t.Cleanup(func() { ln.Close() })
	return "http://" + ln.Addr().String()
}

// TestUpstreamAnswersAsTheEcho: net/http's client gets the Echo's own
// answer from the stand-in upstream, over one kept-alive connection, no
// sooner than its delay; anything but a POST to chatPath gets a 400 that
// says what it answers.
func TestUpstreamAnswersAsTheEcho(t *testing.T) {
	const delay = 30 * time.Millisecond
	url := startUpstream(t, delay)
	want, err := cannedAnswer(directBody)
	if err != nil {
		t.Fatal(err)
	}
	wantBody := string(want[strings.Index(string(want), "\r\n\r\n")+4:])
	for i := range 3 {
		start := time.Now()
		resp, err := http.Post(url+chatPath, "application/json", strings.NewReader(directBody))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if took := time.Since(start); took < delay {
			t.Errorf("call %d answered in %v, before the %v delay", i, took, delay)
		}
		if resp.StatusCode != http.StatusOK || string(body) != wantBody {
			t.Fatalf("call %d: %d %s, want 200 %s", i, resp.StatusCode, body, wantBody)
		}
	}
	resp, err := http.Post(url+"/v1/embeddings", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `answers "POST /v1/chat/completions HTTP/1.1" only`) {
		t.Errorf("wrong path: %d %s", resp.StatusCode, body)
	}
}

// TestClientThroughGateway: the bench's client calls the stand-in upstream
// straight and through a gateway, reuses its connections, and keeps the
// gateway's overhead header of every call through it.
func TestClientThroughGateway(t *testing.T) {
	up := startUpstream(t, 0)
	g, err := newGateway(up, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(g.Handler())
	defer gw.Close()
	var cs clients
	defer cs.close()
	direct, err := cs.add(2, up, directBody, "")
	if err != nil {
		t.Fatal(err)
	}
	via, err := cs.add(2, gw.URL, chatBody, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		for w := range 2 {
			if err := direct.call(w, i); err != nil {
				t.Fatalf("direct call %d of worker %d: %v", i, w, err)
			}
			if err := via.call(w, i); err != nil {
				t.Fatalf("call %d of worker %d through the gateway: %v", i, w, err)
			}
		}
	}
	if got := direct.overheads(); len(got) != 0 {
		t.Errorf("the upstream's answers carried an overhead header: %v", got)
	}
	if got := via.overheads(); len(got) != 8 {
		t.Errorf("%d overheads through the gateway, want 8: %v", len(got), got)
	}
	if got := via.overheads(); len(got) != 0 {
		t.Errorf("overheads() kept %d after it returned them", len(got))
	}
	for _, k := range []*client{direct, via} {
		for w, cc := range k.conns {
			if cc == nil {
				t.Errorf("worker %d of %s has no connection kept alive", w, k.addr)
			}
		}
	}
}

// TestClientRefuses: answers the client cannot measure are errors that
// say why, and the connection is dropped (the next call dials again).
func TestClientRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
		want string
	}{
		{"status", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no such endpoint", http.StatusNotFound) }, "answered HTTP/1.1 404 Not Found: no such endpoint"},
		{"chunked", func(w http.ResponseWriter, _ *http.Request) {
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, "{}")
		}, `Transfer-Encoding "chunked"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := httptest.NewServer(tc.h)
			defer s.Close()
			k, err := newClient(1, s.URL+chatPath, chatBody, "Bearer x")
			if err != nil {
				t.Fatal(err)
			}
			defer k.close()
			err = k.call(0, 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			if k.conns[0] != nil {
				t.Error("the connection was kept after a refused answer")
			}
		})
	}
	if _, err := newClient(1, "https://example.com"+chatPath, chatBody, ""); err == nil {
		t.Error("newClient took an https URL")
	}
}

// TestClientCloses: an answer with "Connection: close" ends the worker's
// connection, and its next call dials a new one.
func TestClientCloses(t *testing.T) {
	var conns atomic.Int32
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "{}")
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	defer s.Close()
	k, err := newClient(1, s.URL+chatPath, chatBody, "")
	if err != nil {
		t.Fatal(err)
	}
	defer k.close()
	for i := range 3 {
		if err := k.call(0, i); err != nil {
			t.Fatal(err)
		}
		if k.conns[0] != nil {
			t.Fatalf("call %d: connection kept after Connection: close", i)
		}
	}
	s.Close()
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections for 3 calls, want 3", n)
	}
}
