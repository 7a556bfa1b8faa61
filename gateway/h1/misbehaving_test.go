package h1_test

// Upstreams and requests that net/http's own server or client would not
// produce, played on raw connections (rawUpstream): an answer header past
// the bound, 1xx answers without end, bytes nobody asked for on an idle
// connection, a peer that drops a request after reading it, a request
// asking to close, a body that fails mid-write; and the read-after-EOF
// contract of an answer's body.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthml/berth/gateway/h1"
)

// rawUpstream serves each accepted connection with serve(n, conn, reader),
// n counting connections from 1; it returns the upstream's URL, ending in
// "/".
func rawUpstream(t testing.TB, serve func(n int64, nc net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var conns atomic.Int64
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			n := conns.Add(1)
			go func() {
				defer nc.Close()
				serve(n, nc, bufio.NewReader(nc))
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// answerOK reads requests from br until one fails, reads each body whole
// (calling read, when not nil, once it has) and answers each "ok".
func answerOK(nc net.Conn, br *bufio.Reader, read func()) {
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		if read != nil {
			read()
		}
		_, _ = io.WriteString(nc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	}
}

// TestAnswerHeaderBound: an upstream whose answer's header goes on and on
// (one huge header, or 1xx answers without end) fails the call once the
// bound is passed, instead of the transport holding all of it (or
// looping until the call's deadline).
func TestAnswerHeaderBound(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(w *bufio.Writer) error
	}{
		{"long header", func(w *bufio.Writer) error {
			io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n")
			line := "X-Pad: " + strings.Repeat("a", 1000) + "\r\n"
			for range 4 << 10 { // 4 MiB of header lines
				if _, err := io.WriteString(w, line); err != nil {
					return err
				}
			}
			io.WriteString(w, "\r\nok")
			return w.Flush()
		}},
		{"endless 1xx", func(w *bufio.Writer) error {
			for {
				if _, err := io.WriteString(w, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"); err != nil {
					return err
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := rawUpstream(t, func(_ int64, nc net.Conn, br *bufio.Reader) {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				_ = tc.write(bufio.NewWriter(nc))
			})
			c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			resp, err := post(ctx, c, url, `{}`)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("answer with %s: %d, want an error", tc.name, resp.StatusCode)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("answer with %s: %v, want the header bound's error before the deadline", tc.name, err)
			}
		})
	}
}

// TestUnsolicitedBytesOnIdleConnection: bytes an upstream sends on a
// connection after its answer's end, once the connection is idle in the
// pool, are never read as the next call's answer.
func TestUnsolicitedBytesOnIdleConnection(t *testing.T) {
	url := rawUpstream(t, func(n int64, nc net.Conn, br *bufio.Reader) {
		for i := 0; ; i++ {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			b, _ := io.ReadAll(req.Body)
			fmt.Fprintf(nc, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(b), b)
			if n == 1 && i == 0 {
				time.Sleep(30 * time.Millisecond) // the caller has put the connection back
				io.WriteString(nc, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")
			}
		}
	})
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
	for i := range 2 {
		resp, err := post(context.Background(), c, url, fmt.Sprint("call ", i))
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != fmt.Sprint("call ", i) {
			t.Fatalf("call %d answered %q", i, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestNonIdempotentNotResent: a POST the upstream read on a reused
// connection and then dropped without an answer is not sent again (the
// upstream may have acted on it: RFC 9110 §9.2.2); a GET, or a POST with an
// Idempotency-Key, is.
func TestNonIdempotentNotResent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		method  string
		key     string
		resends bool
	}{
		{"POST", http.MethodPost, "", false},
		{"PATCH", http.MethodPatch, "", false},
		{"POST with Idempotency-Key", http.MethodPost, "k1", true},
		{"GET", http.MethodGet, "", true},
		{"PUT", http.MethodPut, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen atomic.Int64
			url := rawUpstream(t, func(n int64, nc net.Conn, br *bufio.Reader) {
				for i := 0; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					seen.Add(1)
					if n == 1 && i == 1 {
						return // read, maybe acted on, and dropped
					}
					io.WriteString(nc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			})
			c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
			do := func() error {
				req, _ := http.NewRequest(tc.method, url, strings.NewReader("payload"))
				if tc.key != "" {
					req.Header.Set("Idempotency-Key", tc.key)
				}
				resp, err := c.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				return resp.Body.Close()
			}
			if err := do(); err != nil {
				t.Fatal(err)
			}
			err := do()
			if tc.resends {
				if err != nil || seen.Load() != 3 {
					t.Errorf("%v after %d requests seen, want success after 3 (sent again)", err, seen.Load())
				}
			} else if err == nil || seen.Load() != 2 {
				t.Errorf("%v after %d requests seen, want an error after 2 (not sent again)", err, seen.Load())
			}
		})
	}
}

// TestReadAfterEOF: a body read to its end keeps answering io.EOF (the
// io.Reader contract), and a closed one an error.
func TestReadAfterEOF(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
	resp, err := post(context.Background(), c, srv.URL, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "ok" {
		t.Fatalf("%q %v", b, err)
	}
	if n, err := resp.Body.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("read after EOF: %d %v, want 0 EOF", n, err)
	}
	resp.Body.Close()
	if _, err := resp.Body.Read(make([]byte, 8)); err == nil || err == io.EOF {
		t.Errorf("read after Close: %v, want an error", err)
	}
}

// TestRequestConnectionCloseHeader: a request whose header says
// "Connection: close" (not only Request.Close) does not leave its
// connection in the pool, even when the upstream keeps it open.
func TestRequestConnectionCloseHeader(t *testing.T) {
	var conns atomic.Int64
	url := rawUpstream(t, func(n int64, nc net.Conn, br *bufio.Reader) {
		conns.Store(n)
		answerOK(nc, br, nil) // and stays open
	})
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
		req.Header.Set("Connection", "close")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (none reused after Connection: close)", n)
	}
}

// TestMaxResponseHeaderBytes: the bound is WithMaxResponseHeaderBytes's;
// an answer under it is served, one over it fails the call.
func TestMaxResponseHeaderBytes(t *testing.T) {
	url := rawUpstream(t, func(_ int64, nc net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			b, _ := io.ReadAll(req.Body)
			fmt.Fprintf(nc, "HTTP/1.1 200 OK\r\nX-Pad: %s\r\nContent-Length: 2\r\n\r\nok", strings.Repeat("a", len(b)))
		}
	})
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}), h1.WithMaxResponseHeaderBytes(1024))}
	for _, tc := range []struct {
		pad int
		ok  bool
	}{{100, true}, {900, true}, {1000, false}, {5000, false}, {10, true}} {
		resp, err := post(context.Background(), c, url, strings.Repeat("p", tc.pad))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("header of %d bytes: %v, want ok %v", tc.pad, err, tc.ok)
		}
	}
}

// failingBody gives some bytes, then fails.
type failingBody struct{ n int }

func (b *failingBody) Read(p []byte) (int, error) {
	if b.n > 0 {
		n := copy(p, strings.Repeat("x", min(b.n, len(p))))
		b.n -= n
		return n, nil
	}
	return 0, errors.New("client went away")
}

// TestRequestBodyFailsMidWrite: a request body that fails part way fails
// the call with its error, is not sent again (even with GetBody), and its
// connection, holding half a request, is not reused.
func TestRequestBodyFailsMidWrite(t *testing.T) {
	var complete atomic.Int64
	var conns atomic.Int64
	url := rawUpstream(t, func(n int64, nc net.Conn, br *bufio.Reader) {
		conns.Store(n)
		answerOK(nc, br, func() { complete.Add(1) })
	})
	c := &http.Client{Transport: h1.New(h1.WithFallback(noFallback{t}))}
	if resp, err := post(context.Background(), c, url, "warm"); err != nil {
		t.Fatal(err)
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for _, length := range []int64{-1, 100_000} { // chunked, and a declared length
		gets := 0
		req, _ := http.NewRequest(http.MethodPut, url, &failingBody{n: 50_000})
		req.ContentLength = length
		req.GetBody = func() (io.ReadCloser, error) { gets++; return io.NopCloser(&failingBody{n: 50_000}), nil }
		if _, err := c.Do(req); err == nil || !strings.Contains(err.Error(), "client went away") {
			t.Errorf("length %d: %v, want the body's error", length, err)
		}
		if gets != 0 {
			t.Errorf("length %d: the failed body was sent again (%d)", length, gets)
		}
	}
	resp, err := post(context.Background(), c, url, "after")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if complete.Load() != 2 || conns.Load() < 2 {
		t.Errorf("%d complete requests on %d connections, want 2 on a new connection", complete.Load(), conns.Load())
	}
}
