// Package guardtest sends, over real connections, the stalled request
// bodies that httpguard.BodyDeadline must cut off, for the tests of each
// server that wires the guard in.
package guardtest

import (
	"bufio"
	"io"
	"net"
	"net/http"
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
