// Package guardtest sends, over real connections, the stalled request
// bodies that httpguard.BodyDeadline must cut off, for the tests of each
// server that wires the guard in.
package guardtest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A Stall is one way of holding a request body back.
type Stall struct {
	Name string
	// Headers are the body's own headers, the blank line and the first
	// bytes of the body: what is sent after the request's other headers.
	Headers string
	// Trickle keeps writing one blank every 100 ms until the answer comes
	// (a blank is JSON whitespace and an octet of any upload).
	Trickle bool
}

// Stalls are the three ways a client can hold a connection with a body:
// announced and cut short, chunked without an end, trickled.
var Stalls = []Stall{
	{Name: "one byte of ten", Headers: "Content-Length: 10\r\n\r\n{"},
	{Name: "chunked without end", Headers: "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n"},
	{Name: "trickle", Headers: "Content-Length: 100\r\n\r\n", Trickle: true},
}

// Send writes head (the request line and headers, each ending in CRLF,
// without the blank line) and then st on a fresh connection to addr, and
// returns the answer, its body and how long it took to come. It fails the
// test when no answer comes within 10 s.
func Send(tb testing.TB, addr, head string, st Stall) (*http.Response, []byte, time.Duration) {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, head+st.Headers); err != nil {
		tb.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	if st.Trickle {
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}()
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		tb.Fatalf("%s: no answer: %v", st.Name, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body, time.Since(start)
}

// RSS is this process's resident set size in bytes, read from
// /proc/self/status: the figure a server under test must keep bounded
// while clients misbehave (the Go heap alone misses what the runtime has
// taken from the system and not given back).
func RSS(tb testing.TB) int64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatalf("reading the resident set size: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				tb.Fatalf("reading VmRSS %q: %v", line, err)
			}
			return kb << 10
		}
	}
	tb.Fatal("no VmRSS line in /proc/self/status")
	return 0
}
