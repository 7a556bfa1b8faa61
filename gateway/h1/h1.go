// Package h1 is the gateway's HTTP/1.1 client transport for plain-http
// upstreams (vLLM, llama.cpp's server, Ollama, TGI, MLflow scoring servers
// beside the gateway): the caller's goroutine writes the request and
// reads the answer on a pooled keep-alive connection, where net/http's
// Transport hands every call to a reader and a writer goroutine per
// connection. On two cores shared by the clients, the gateway and the
// upstream, those hand-offs (and their channel selects and wake-ups) were
// a large part of the gateway's CPU per call (docs/gateway.md, "Speed").
//
// The wire format is net/http's own: the request is written by
// http.Request.Write and the answer parsed by http.ReadResponse, so
// headers, chunked bodies, trailers and Content-Length are handled exactly
// as net/http's Transport handles them. What this package adds is the
// connection pool and the call's context: its deadline is the
// connection's, and its cancellation interrupts a blocked read or write
// (the connection is then closed, so the upstream sees the call end).
//
// Anything else goes to Fallback (net/http's Transport by default): https
// (TLS and HTTP/2 to the SaaS providers), a proxy from the environment for
// the upstream's host, requests with Expect or Upgrade headers, and
// methods other than GET, POST, PUT, PATCH and DELETE.
package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Transport is an http.RoundTripper; its zero value is not usable: build
// one with New. It is safe for concurrent use.
type Transport struct {
	fallback    http.RoundTripper
	proxy       func(*http.Request) (*url.URL, error)
	dialer      net.Dialer
	maxIdle     int
	idleTimeout time.Duration
	maxHeader   int64

	mu    sync.Mutex
	hosts map[string]*host
}

// Option configures New.
type Option func(*Transport)

// WithFallback sets the transport for what this one does not serve
// (https, proxied hosts, Expect and Upgrade requests). Default: a clone of
// http.DefaultTransport.
func WithFallback(rt http.RoundTripper) Option { return func(t *Transport) { t.fallback = rt } }

// WithProxy sets how a request's proxy is chosen; a host with a proxy goes
// to the fallback. Default: http.ProxyFromEnvironment.
func WithProxy(p func(*http.Request) (*url.URL, error)) Option {
	return func(t *Transport) { t.proxy = p }
}

// WithDialTimeout bounds a connection's dial (the call's context bounds it
// too). Default: 10 seconds.
func WithDialTimeout(d time.Duration) Option { return func(t *Transport) { t.dialer.Timeout = d } }

// WithMaxIdlePerHost bounds the idle connections kept per host. Default:
// 256.
func WithMaxIdlePerHost(n int) Option { return func(t *Transport) { t.maxIdle = n } }

// WithIdleTimeout sets how long an idle connection is kept. Default: 4
// seconds, under the 5 s keep-alive timeout of Node's and uvicorn's
// servers, so that a connection is seldom reused just as the upstream
// closes it; when it is, the call is sent again once on a new connection
// (see RoundTrip).
func WithIdleTimeout(d time.Duration) Option { return func(t *Transport) { t.idleTimeout = d } }

// WithMaxResponseHeaderBytes bounds the bytes of an answer's status line
// and headers, 1xx interim answers included: an upstream that sends more
// fails the call (http.ReadResponse has no bound of its own). Default:
// 1 MiB, net/http's server default for requests (also when n <= 0).
func WithMaxResponseHeaderBytes(n int64) Option { return func(t *Transport) { t.maxHeader = n } }

// New returns a Transport with opts applied over the defaults above.
func New(opts ...Option) *Transport {
	t := &Transport{
		proxy:       http.ProxyFromEnvironment,
		dialer:      net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second},
		maxIdle:     256,
		idleTimeout: 4 * time.Second,
		hosts:       map[string]*host{},
	}
	for _, o := range opts {
		o(t)
	}
	if t.maxHeader <= 0 { // unset, or WithMaxResponseHeaderBytes(n <= 0): 1 MiB
		t.maxHeader = 1 << 20
	}
	if t.fallback == nil {
		t.fallback = http.DefaultTransport.(*http.Transport).Clone()
	}
	return t
}

// Fallback returns the transport for what this one does not serve.
func (t *Transport) Fallback() http.RoundTripper { return t.fallback }

// CloseIdleConnections closes the idle connections, the fallback's too.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	hosts := make([]*host, 0, len(t.hosts))
	for _, h := range t.hosts {
		hosts = append(hosts, h)
	}
	t.mu.Unlock()
	for _, h := range hosts {
		h.sweep(true)
	}
	if c, ok := t.fallback.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// host is one upstream address's pool.
type host struct {
	t       *Transport
	addr    string
	proxied bool // the environment's proxy takes this host: the fallback serves it

	mu    sync.Mutex
	idle  []*conn // oldest first; the newest is reused first
	timer *time.Timer
}

// conn is one pooled connection.
type conn struct {
	nc        net.Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	read      int64 // bytes read from nc, to tell a dead idle connection from a broken answer
	limit     int64 // bytes nc may still give (the header bound while an answer's header is read)
	idleSince time.Time
	used      bool
}

func (c *conn) Read(p []byte) (int, error) {
	if c.limit <= 0 {
		return 0, errHeaderTooLarge
	}
	if int64(len(p)) > c.limit {
		p = p[:c.limit]
	}
	n, err := c.nc.Read(p)
	c.read += int64(n)
	c.limit -= int64(n)
	return n, err
}

var errHeaderTooLarge = errors.New("h1: the upstream's answer header is over the bound (WithMaxResponseHeaderBytes)")

// lookup returns the pool for u's host, or nil when the fallback serves it.
func (t *Transport) lookup(req *http.Request) (*host, error) {
	key := req.URL.Host
	t.mu.Lock()
	h := t.hosts[key]
	t.mu.Unlock()
	if h != nil {
		return h, nil
	}
	h = &host{t: t, addr: canonicalAddr(req.URL)}
	if t.proxy != nil {
		p, err := t.proxy(req)
		if err != nil {
			return nil, err
		}
		h.proxied = p != nil
	}
	t.mu.Lock()
	if old := t.hosts[key]; old != nil {
		h = old
	} else {
		t.hosts[key] = h
	}
	t.mu.Unlock()
	return h, nil
}

func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// served reports whether this transport (not the fallback) takes req.
func served(req *http.Request) bool {
	if req.URL.Scheme != "http" || req.URL.Host == "" {
		return false
	}
	switch req.Method {
	case http.MethodPost, http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete, "":
	default:
		return false
	}
	if req.Header.Get("Expect") != "" || req.Header.Get("Upgrade") != "" {
		return false
	}
	return true
}

// RoundTrip sends req and reads the answer's status and headers; the body
// is read from the connection as the caller reads it. The connection goes
// back to the pool when the body has been read to its end (or closed at
// its end); a body closed early closes its connection. The call's context
// deadline is the connection's read and write deadline, and its end
// interrupts the call and closes the connection: the error is then the
// context's.
//
// A pooled connection the upstream closed while it was idle fails before
// any byte of the answer: such a call is sent once more on a new
// connection, when its body can be read again (GetBody; http.NewRequest
// sets it for in-memory bodies).
//
// The request is written before the answer is read, not both at once as
// net/http's Transport does: an upstream that answers (say 413) and
// resets the connection before reading all of a request larger than the
// socket buffers fails the call with the write's error instead of its
// status.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !served(req) {
		return t.fallback.RoundTrip(req)
	}
	h, err := t.lookup(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if h.proxied {
		return t.fallback.RoundTrip(req)
	}
	ctx := req.Context()
	for try := 0; ; try++ {
		c, err := h.get(ctx, try > 0)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		reused := c.used
		c.used = true
		resp, err := h.roundTrip(ctx, c, req)
		if err == nil {
			return resp, nil
		}
		var stale *staleError
		if try > 0 || !reused || !errors.As(err, &stale) || !replayable(req) {
			return nil, err
		}
		// Send it again on a fresh connection, with a fresh body.
		r2 := *req
		if req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, err
			}
			if r2.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		req = &r2
	}
}

// replayable reports whether req may be sent again after it was written
// to a connection that then failed before any byte of the answer: the
// upstream may have read it and acted on it, so only an idempotent method
// (RFC 9110 §9.2.2) or a request with an idempotency key (as net/http's
// Transport) is sent again.
func replayable(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	_, k1 := req.Header["Idempotency-Key"]
	_, k2 := req.Header["X-Idempotency-Key"]
	return k1 || k2
}

// staleError is a failure on a reused connection before any byte of the
// answer: the upstream closed it while it was idle.
type staleError struct{ err error }

func (e *staleError) Error() string { return e.err.Error() }
func (e *staleError) Unwrap() error { return e.err }

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// aLongTimeAgo is a deadline that has passed: setting it interrupts a
// blocked read or write.
var aLongTimeAgo = time.Unix(1, 0)

func (h *host) roundTrip(ctx context.Context, c *conn, req *http.Request) (*http.Response, error) {
	dl, _ := ctx.Deadline() // the zero time clears a deadline a former call left
	if err := c.nc.SetDeadline(dl); err != nil {
		c.nc.Close()
		closeBody(req)
		return nil, err
	}
	// Cancellation interrupts any blocked read or write on the connection;
	// stop tells whether it came too late to touch the connection.
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(aLongTimeAgo) })
	fail := func(err error) (*http.Response, error) {
		stop()
		c.nc.Close()
		return nil, ctxErr(ctx, err)
	}
	read := c.read
	if err := req.Write(c.bw); err != nil {
		return fail(maybeStale(err, c, read))
	}
	if err := c.bw.Flush(); err != nil {
		return fail(maybeStale(err, c, read))
	}
	var resp *http.Response
	// The header bound covers the interim answers too, so that 1xx
	// answers without end fail the call.
	c.limit = h.t.maxHeader
	for {
		r, err := http.ReadResponse(c.br, req)
		if err != nil {
			return fail(maybeStale(err, c, read))
		}
		if r.StatusCode >= 200 || r.StatusCode == http.StatusSwitchingProtocols {
			resp = r
			break
		}
		// 1xx informational answers (103 Early Hints) precede the real one.
	}
	c.limit = math.MaxInt64
	resp.Body = &body{rc: resp.Body, ctx: ctx, h: h, c: c, stop: stop, keep: !resp.Close && !wantsClose(req) && resp.StatusCode != http.StatusSwitchingProtocols}
	return resp, nil
}

// wantsClose reports whether req asks for its connection to close after
// the answer: Request.Close, or a "close" token in its Connection header
// (which Request.Write sends as it is).
func wantsClose(req *http.Request) bool {
	if req.Close {
		return true
	}
	for _, v := range req.Header["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "close") {
				return true
			}
		}
	}
	return false
}

// maybeStale marks err as a stale connection's when nothing of the answer
// has been read and the error says the peer closed.
func maybeStale(err error, c *conn, readBefore int64) error {
	if c.read != readBefore {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return &staleError{err}
	}
	return err
}

// body is an answer's body on a pooled connection.
type body struct {
	rc   io.ReadCloser // net/http's body reader over the connection
	ctx  context.Context
	h    *host
	c    *conn
	stop func() bool
	keep bool // the connection may be reused once the body is read

	done   atomic.Bool
	closed atomic.Bool // Close was called: reads fail
	eof    bool        // read to its end: later reads answer io.EOF
}

func (b *body) Read(p []byte) (int, error) {
	if b.closed.Load() {
		return 0, errClosed
	}
	if b.eof {
		return 0, io.EOF
	}
	if b.done.Load() {
		return 0, errClosed
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
		b.release(true)
		return n, err
	}
	if err != nil {
		err = ctxErr(b.ctx, err)
		b.release(false)
	}
	return n, err
}

// ctxErr is the context's error when the call failed because the context
// ended: cancelled, or its deadline (the connection's) passed, which the
// connection may report a moment before the context does.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			return context.DeadlineExceeded
		}
	}
	return err
}

// Close releases the connection: back to the pool when the body was read
// to its end, else closed (which also ends a read blocked in another
// goroutine).
func (b *body) Close() error {
	b.closed.Store(true)
	b.release(b.rc == http.NoBody)
	return nil
}

var errClosed = errors.New("h1: read on a closed body")

func (b *body) release(atEnd bool) {
	if !b.done.CompareAndSwap(false, true) {
		return
	}
	// Bytes past the answer's end are none the upstream was asked for: a
	// connection holding them is not reused (net/http's Transport closes
	// it too).
	if b.stop() && atEnd && b.keep && b.c.br.Buffered() == 0 {
		b.h.put(b.c)
		return
	}
	b.c.nc.Close()
}

// get returns an idle connection, or dials one (always with fresh). An
// idle connection the upstream has closed, or has sent bytes on that no
// call asked for (an answer past the last one's end, a 408 before its
// close), is closed and the next one taken: nothing was written on it, so
// any request may go on another.
func (h *host) get(ctx context.Context, fresh bool) (*conn, error) {
	for !fresh {
		now := time.Now()
		var expired []*conn
		var c *conn
		h.mu.Lock()
		for n := len(h.idle); n > 0; n = len(h.idle) {
			last := h.idle[n-1]
			h.idle[n-1] = nil
			h.idle = h.idle[:n-1]
			if now.Sub(last.idleSince) > h.t.idleTimeout {
				expired = append(expired, last)
				continue
			}
			c = last
			break
		}
		h.mu.Unlock()
		for _, e := range expired {
			e.nc.Close()
		}
		if c == nil {
			break
		}
		if idleUsable(c.nc) {
			return c, nil
		}
		c.nc.Close()
	}
	nc, err := h.t.dialer.DialContext(ctx, "tcp", h.addr)
	if err != nil {
		return nil, err
	}
	c := &conn{nc: nc, limit: math.MaxInt64}
	c.br = bufio.NewReaderSize(c, 4<<10)
	c.bw = bufio.NewWriterSize(nc, 4<<10)
	return c, nil
}

// put returns c to the pool, or closes it when the pool is full.
func (h *host) put(c *conn) {
	c.idleSince = time.Now()
	h.mu.Lock()
	if len(h.idle) >= h.t.maxIdle {
		h.mu.Unlock()
		c.nc.Close()
		return
	}
	h.idle = append(h.idle, c)
	if h.timer == nil {
		h.timer = time.AfterFunc(h.t.idleTimeout, func() { h.sweep(false) })
	}
	h.mu.Unlock()
}

// sweep closes the connections idle for longer than the idle timeout (all
// of them with all), and runs again when the oldest left expires.
func (h *host) sweep(all bool) {
	now := time.Now()
	h.mu.Lock()
	n := 0
	for n < len(h.idle) && (all || now.Sub(h.idle[n].idleSince) > h.t.idleTimeout) {
		n++
	}
	old := make([]*conn, n)
	copy(old, h.idle[:n])
	h.idle = append(h.idle[:0], h.idle[n:]...)
	clear(h.idle[len(h.idle):cap(h.idle)])
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	if len(h.idle) > 0 {
		// The pool is in put order, so the next to expire is the first:
		// the sweep comes when it does, not a whole timeout later (which
		// kept a connection up to twice the idle timeout).
		next := h.idle[0].idleSince.Add(h.t.idleTimeout).Sub(now) + time.Millisecond
		h.timer = time.AfterFunc(next, func() { h.sweep(false) })
	}
	h.mu.Unlock()
	for _, c := range old {
		c.nc.Close()
	}
}
