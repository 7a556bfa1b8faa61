package h1_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/gateway/h1"
)

// FuzzAnswer has an upstream answer a call with arbitrary bytes and then
// close the connection. Whatever they are, the call ends (well or with an
// error, never hanging past its deadline or panicking), and the next call,
// answered properly, gets its own answer: a bad answer never leaves its
// bytes or a dead connection for the next call to read.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Trailer: 1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.0 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 200 OK\r\n",
		"garbage\r\n\r\n",
		"",
	} {
		f.Add(s)
	}
	answers := make(chan string, 1)
	base := strings.TrimSuffix(rawUpstream(f, func(_ int64, nc net.Conn, br *bufio.Reader) {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		if req.URL.Path == "/good" {
			_, _ = io.WriteString(nc, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood")
			return
		}
		_, _ = io.WriteString(nc, <-answers)
	}), "/")
	tr := h1.New(h1.WithFallback(noFallback{f}))
	c := &http.Client{Transport: tr}
	f.Fuzz(func(t *testing.T, answer string) {
		answers <- answer
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		if resp, err := post(ctx, c, base+"/fuzz", "{}"); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("the call took %v, past its 2 s deadline", d)
		}
		select { // a call that failed on a connection the upstream closed never reached it
		case <-answers:
		default:
		}
		// A GET, which is sent again when the pooled connection turns out
		// closed after it was written (a POST is not: the upstream may
		// have read it), since the upstream closes without saying so.
		resp, err := c.Get(base + "/good")
		if err != nil {
			t.Fatalf("the next call: %v", err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || strings.TrimSpace(string(b)) != "good" {
			t.Fatalf("the next call got %d %q %v, want 200 good", resp.StatusCode, b, err)
		}
	})
}
