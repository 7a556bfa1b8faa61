package h1_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/berthml/berth/gateway/h1"
)

// connCounter counts the connections a test server accepted and closed.
type connCounter struct {
	mu             sync.Mutex
	opened, closed int
}

func (c *connCounter) hook(_ net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s {
	case http.StateNew:
		c.opened++
	case http.StateClosed, http.StateHijacked:
		c.closed++
	}
}

func (c *connCounter) counts() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opened, c.closed
}

func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, *connCounter) {
	t.Helper()
	cc := &connCounter{}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = cc.hook
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, cc
}

// noFallback fails a test that reaches the fallback.
type noFallback struct{ t testing.TB }

func (f noFallback) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("%s %s went to the fallback", r.Method, r.URL)
	return nil, errors.New("fallback")
}

func post(ctx context.Context, c *http.Client, url, body string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.Do(req)
}

func within(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAnswersAndReuse sends calls whose answers have a Content-Length, are
// chunked (flushed before the end), are empty, or end in a 4xx, in turn:
// each comes back whole with its headers, the request arrives as sent,
// and one connection serves them all.
func TestAnswersAndReuse(t *testing.T) {
	srv, cc := server(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "headers lost", 500)
			return
		}
		w.Header().Set("X-Seen", fmt.Sprintf("%s %s %d %.20s", r.Method, r.URL.RequestURI(), len(b), b))
		switch r.URL.Path {
		case "/length":
			w.Header().Set("Content-Length", "5")
			_, _ = io.WriteString(w, "hello")
		case "/chunked":
			_, _ = io.WriteString(w, "part one;")
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, "part two")
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/missing":
			w.Header().Set("Retry-After", "3")
			http.Error(w, "no such thing", http.StatusNotFound)
		}
	})
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
	cases := []struct {
		path, body string
		status     int
		want       string
	}{
		{"/length?q=1", `{"a":1}`, 200, "hello"},
		{"/chunked", `{"b":2}`, 200, "part one;part two"},
		{"/empty", ``, 204, ""},
		{"/missing", `{}`, 404, "no such thing\n"},
		{"/length", strings.Repeat("x", 100<<10), 200, "hello"}, // a body larger than the write buffer
	}
	for round := range 3 {
		for _, tc := range cases {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer k")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("round %d %s: %v", round, tc.path, err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != tc.status || string(b) != tc.want {
				t.Fatalf("round %d %s: %d %q %v, want %d %q", round, tc.path, resp.StatusCode, b, err, tc.status, tc.want)
			}
			if seen, want := resp.Header.Get("X-Seen"), strings.TrimSpace(fmt.Sprintf("POST %s %d %.20s", tc.path, len(tc.body), tc.body)); seen != want {
				t.Fatalf("%s: the upstream saw %.80q", tc.path, seen)
			}
			if tc.status == 404 && resp.Header.Get("Retry-After") != "3" {
				t.Errorf("Retry-After lost: %v", resp.Header)
			}
		}
	}
	if opened, _ := cc.counts(); opened != 1 {
		t.Errorf("%d connections for calls in sequence, want 1", opened)
	}
}

// TestStreaming reads an event stream as the upstream sends it: the
// second event is sent only once the client has read the first, so a
// transport that waited for the whole body would hang.
func TestStreaming(t *testing.T) {
	next := make(chan struct{})
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-next:
		case <-time.After(5 * time.Second):
			return
		}
		_, _ = io.WriteString(w, "data: two\n\ndata: [DONE]\n\n")
	})
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
	resp, err := post(context.Background(), c, srv.URL, `{"stream":true}`)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var got []string
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			got = append(got, line)
			if len(got) == 1 {
				close(next)
			}
		}
	}
	if err := sc.Err(); err != nil || strings.Join(got, "|") != "data: one|data: two|data: [DONE]" {
		t.Fatalf("events %q, error %v", got, err)
	}
}

// TestDeadline: the call's context deadline bounds an upstream that does
// not answer, and the error is the context's (the gateway answers 504 for
// it), not a network timeout.
func TestDeadline(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // then the server watches the connection
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := post(ctx, c, srv.URL, `{}`)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("after %v: %v, want context.DeadlineExceeded", time.Since(start), err)
	}
}

// TestCancelMidStream: the client goes away while the upstream streams;
// the read ends with the context's error and the upstream connection is
// closed, so the upstream sees its request end.
func TestCancelMidStream(t *testing.T) {
	var upstreamDone atomic.Bool
	srv, cc := server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			upstreamDone.Store(true)
		case <-time.After(10 * time.Second):
		}
	})
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := post(ctx, c, srv.URL, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 11)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := resp.Body.Read(make([]byte, 10)); errc <- err }()
	time.Sleep(20 * time.Millisecond) // the read above blocks
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the blocked read ended with %v, want context.Canceled", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("cancelling did not end the blocked read")
	}
	resp.Body.Close()
	within(t, 3*time.Second, "the upstream sees its request end", upstreamDone.Load)
	within(t, 3*time.Second, "the upstream connection closed", func() bool { _, closed := cc.counts(); return closed == 1 })
}

// TestCloseEarly: a body closed before its end closes its connection
// (what is left of the answer is not read into the next call), also from
// another goroutine while a read is blocked; the next call dials anew.
func TestCloseEarly(t *testing.T) {
	srv, cc := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/short" {
			_, _ = io.WriteString(w, "ok")
			return
		}
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
	resp, err := post(context.Background(), c, srv.URL+"/stream", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := io.ReadAll(resp.Body); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	resp.Body.Close() // as upstream.Events does when its context ends
	select {
	case err := <-errc:
		if err == nil {
			t.Error("the read of a closed body ended without an error")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("closing the body did not end the blocked read")
	}
	within(t, 3*time.Second, "the connection closed", func() bool { _, closed := cc.counts(); return closed == 1 })
	resp, err = post(context.Background(), c, srv.URL+"/short", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("next call: %q", b)
	}
	if opened, _ := cc.counts(); opened != 2 {
		t.Errorf("%d connections, want 2 (the closed one not reused)", opened)
	}
}

// TestRefused: nothing listens; the error says the connection was refused.
func TestRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
	_, err = post(context.Background(), c, "http://"+addr+"/v1/chat/completions", `{}`)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("%v, want ECONNREFUSED", err)
	}
}

// TestStaleConnectionRetried: an upstream that closes a keep-alive
// connection after each answer without saying so (no Connection: close);
// the next call finds its pooled connection dead before any byte of an
// answer and is sent again on a new one. A call whose body cannot be read
// again is not.
func TestStaleConnectionRetried(t *testing.T) {
	var conns atomic.Int64
	url := rawUpstream(t, func(n int64, nc net.Conn, br *bufio.Reader) {
		conns.Store(n)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		b, _ := io.ReadAll(req.Body)
		fmt.Fprintf(nc, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(b), b)
	})
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
	for i := range 3 {
		resp, err := post(context.Background(), c, url, fmt.Sprint("call ", i))
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != fmt.Sprint("call ", i) {
			t.Fatalf("call %d: %q", i, b)
		}
		time.Sleep(20 * time.Millisecond) // the upstream's close arrives
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3 (one per call, the stale ones retried)", n)
	}
	// A body that cannot be read again (no GetBody): the pooled
	// connection the upstream closed is found closed before anything is
	// written on it, so the call goes on a new one.
	req, _ := http.NewRequest(http.MethodPost, url, io.NopCloser(strings.NewReader("once")))
	req.ContentLength = 4
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("a call with a body read once, after the pooled connection closed: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "once" || conns.Load() != 4 {
		t.Errorf("%q on %d connections, want once on 4", b, conns.Load())
	}
}

// TestIdleTimeout: an idle connection is closed after the idle timeout,
// with no call to notice it.
func TestIdleTimeout(t *testing.T) {
	srv, cc := server(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}), h1.WithIdleTimeout(50*time.Millisecond))}
	resp, err := post(context.Background(), c, srv.URL, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	within(t, 3*time.Second, "the idle connection closed", func() bool { _, closed := cc.counts(); return closed == 1 })
}

// TestMaxIdle: more connections than the pool keeps are closed when
// their calls end.
func TestMaxIdle(t *testing.T) {
	release := make(chan struct{})
	srv, cc := server(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		_, _ = io.WriteString(w, "ok")
	})
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}), h1.WithMaxIdlePerHost(2))}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			resp, err := post(context.Background(), c, srv.URL, `{}`)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	within(t, 3*time.Second, "five calls in flight", func() bool { o, _ := cc.counts(); return o == 5 })
	close(release)
	wg.Wait()
	within(t, 3*time.Second, "three connections closed", func() bool { _, closed := cc.counts(); return closed == 3 })
}

// recorder is a fallback that answers 200 and records what it got.
type recorder struct{ got atomic.Int64 }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got.Add(1)
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// TestFallback: https, a host the proxy takes, Expect and Upgrade
// requests and other methods go to the fallback; a host the proxy leaves
// does not.
func TestFallback(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "direct") })
	proxied, _ := url.Parse("http://proxy.invalid:3128")
	fb := &recorder{}
	tr := h1.New(h1.WithFallback(fb), h1.WithProxy(func(r *http.Request) (*url.URL, error) {
		if r.URL.Hostname() == "behind.proxy.invalid" {
			return proxied, nil
		}
		return nil, nil
	}))
	for _, tc := range []struct {
		method, url string
		header      string
	}{
		{"POST", "https://api.openai.com/v1/chat/completions", ""},
		{"POST", "http://behind.proxy.invalid/v1", ""},
		{"POST", srv.URL, "Expect"},
		{"GET", srv.URL, "Upgrade"},
		{"OPTIONS", srv.URL, ""},
	} {
		before := fb.got.Load()
		req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader("{}"))
		if tc.header != "" {
			req.Header.Set(tc.header, "100-continue")
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.url, err)
		}
		resp.Body.Close()
		if fb.got.Load() != before+1 {
			t.Errorf("%s %s (%s) did not go to the fallback", tc.method, tc.url, tc.header)
		}
	}
	before := fb.got.Load()
	resp, err := (&http.Client{Transport: tr}).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "direct" || fb.got.Load() != before {
		t.Errorf("a plain-http host without a proxy: %q, fallback used %d times", b, fb.got.Load()-before)
	}
}
