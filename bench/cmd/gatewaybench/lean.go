package main

// The bench's own client and stand-in upstream. Both share the machine's
// two cores with the gateway they measure, so every microsecond of CPU
// they spend per call is queueing the gateway's calls pay for, and more of
// it on the gateway's path than on the direct one. They speak HTTP/1.1
// over keep-alive connections with bytes written once: the client sends
// one request and reads one answer per call, the upstream reads one
// request, waits and writes one fixed answer. net/http's client and server
// took 64 µs and 87 µs of CPU per call here (2026-12-07), together more
// than the gateway's own 117 µs.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/gateway/gatewaytest"
)

// chatPath is the one path the stand-in upstream answers.
const chatPath = "/v1/chat/completions"

// maxHead bounds a request's or an answer's header block.
const maxHead = 16 << 10

// cannedAnswer is the whole HTTP answer the stand-in upstream gives every
// call: gatewaytest.Echo's own answer to body, so the gateway parses the
// same bytes as behind the Echo.
func cannedAnswer(body string) ([]byte, error) {
	rec := httptest.NewRecorder()
	(&gatewaytest.Echo{}).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, chatPath, strings.NewReader(body)))
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("the Echo answered the bench's request %d: %s", rec.Code, rec.Body)
	}
	b := rec.Body.Bytes()
	head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(b))
	return append([]byte(head), b...), nil
}

// serveUpstream answers every POST to chatPath on ln with answer, delay
// after its request arrived, until ln is closed.
func serveUpstream(ln net.Listener, delay time.Duration, answer []byte) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go upstreamConn(c, delay, answer)
	}
}

func upstreamConn(c net.Conn, delay time.Duration, answer []byte) {
	defer c.Close()
	s, err := newSleeper()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gatewaybench: stand-in upstream:", err)
		return
	}
	defer s.close()
	br := bufio.NewReaderSize(c, 4096)
	for {
		n, err := readRequestHead(br)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				msg := err.Error()
				_, _ = fmt.Fprintf(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
			}
			return
		}
		if _, err := br.Discard(n); err != nil {
			return
		}
		if delay > 0 {
			if err := s.sleep(delay); err != nil {
				fmt.Fprintln(os.Stderr, "gatewaybench: stand-in upstream:", err)
				return
			}
		}
		if _, err := c.Write(answer); err != nil {
			return
		}
	}
}

// readRequestHead reads one request's line and headers, which must be a
// POST to chatPath with a Content-Length; it returns that length.
func readRequestHead(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err // io.EOF: the peer closed between requests
	}
	if want := "POST " + chatPath + " HTTP/1.1\r\n"; string(line) != want {
		return 0, fmt.Errorf("the stand-in upstream answers %q only, not %q", strings.TrimSpace(want), bytes.TrimSpace(line))
	}
	h, err := readHeader(br)
	return h.length, err
}

// header is what the bench reads of a request's or an answer's header.
type header struct {
	length      int     // Content-Length
	close       bool    // Connection: close
	overhead    float64 // X-Berth-Gateway-Overhead-Ms, where hasOverhead
	hasOverhead bool
}

// readHeader reads header lines up to the blank line that ends them, at
// most maxHead bytes of them. Bodies must come with a Content-Length: the
// bench neither sends nor reads any other framing.
func readHeader(br *bufio.Reader) (header, error) {
	h := header{length: -1}
	read := 0
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return h, err
		}
		if read += len(line); read > maxHead {
			return h, fmt.Errorf("headers over %d bytes", maxHead)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if h.length < 0 {
				return h, errors.New("no Content-Length")
			}
			return h, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return h, fmt.Errorf("bad header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if h.length, err = strconv.Atoi(string(value)); err != nil || h.length < 0 {
				return h, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return h, fmt.Errorf("Transfer-Encoding %q: the bench reads Content-Length bodies only", value)
		case bytes.EqualFold(name, []byte("Connection")):
			h.close = bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("X-Berth-Gateway-Overhead-Ms")):
			h.overhead, err = strconv.ParseFloat(string(value), 64)
			h.hasOverhead = err == nil
		}
	}
}

// client posts one request, written once, over a keep-alive connection of
// each worker's own, and keeps the x-berth-gateway-overhead-ms each answer
// carries.
type client struct {
	addr  string // host:port
	req   []byte
	conns []*clientConn // by worker
	over  [][]float64   // each worker's overheads
}

type clientConn struct {
	c  net.Conn
	br *bufio.Reader
}

// newClient makes a client of conc workers posting body to url (http only)
// with authorization, when not "", as its Authorization header.
func newClient(conc int, url, body, authorization string) (*client, error) {
	hostPath, ok := strings.CutPrefix(url, "http://")
	if !ok {
		return nil, fmt.Errorf("the bench's client speaks http only, not %s", url)
	}
	host, path, _ := strings.Cut(hostPath, "/")
	var b strings.Builder
	fmt.Fprintf(&b, "POST /%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, host, len(body))
	if authorization != "" {
		fmt.Fprintf(&b, "Authorization: %s\r\n", authorization)
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return &client{addr: host, req: []byte(b.String()), conns: make([]*clientConn, conc), over: make([][]float64, conc)}, nil
}

// call is the load generator's function: one call by worker w.
func (k *client) call(w, _ int) error {
	cc := k.conns[w]
	if cc == nil {
		c, err := net.Dial("tcp", k.addr)
		if err != nil {
			return err
		}
		cc = &clientConn{c: c, br: bufio.NewReaderSize(c, 4096)}
		k.conns[w] = cc
	}
	keep, err := k.roundTrip(w, cc)
	if err != nil || !keep {
		cc.c.Close()
		k.conns[w] = nil
	}
	return err
}

func (k *client) roundTrip(w int, cc *clientConn) (keep bool, err error) {
	if _, err := cc.c.Write(k.req); err != nil {
		return false, err
	}
	status, err := cc.br.ReadSlice('\n')
	if err != nil {
		return false, err
	}
	ok := bytes.HasPrefix(status, []byte("HTTP/1.1 200 "))
	h, err := readHeader(cc.br)
	if err != nil {
		return false, fmt.Errorf("%s answered: %w", k.addr, err)
	}
	if h.hasOverhead {
		k.over[w] = append(k.over[w], h.overhead)
	}
	if !ok {
		body := make([]byte, min(h.length, 512))
		_, _ = io.ReadFull(cc.br, body)
		return false, fmt.Errorf("%s answered %s: %s", k.addr, bytes.TrimSpace(status), body)
	}
	_, err = cc.br.Discard(h.length)
	return !h.close, err
}

// overheads returns the overheads every worker read, and forgets them.
func (k *client) overheads() []float64 {
	var all []float64
	for w := range k.over {
		all = append(all, k.over[w]...)
		k.over[w] = nil
	}
	return all
}

// close closes the client's connections.
func (k *client) close() {
	for w, cc := range k.conns {
		if cc != nil {
			cc.c.Close()
			k.conns[w] = nil
		}
	}
}
