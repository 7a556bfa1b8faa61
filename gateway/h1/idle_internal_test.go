package h1

import (
	"net"
	"testing"
	"time"
)

// tcpPair is a connected pair of loopback TCP connections.
func tcpPair(t testing.TB) (client, server net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-acc
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// TestIdleUsable: a quiet open connection is usable, even after a past
// deadline; one with bytes waiting, or closed by the peer, is not.
func TestIdleUsable(t *testing.T) {
	c, s := tcpPair(t)
	_ = c.SetDeadline(time.Unix(1, 0))
	if !idleUsable(c) {
		t.Fatal("a quiet open connection is not usable")
	}
	if _, err := s.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	within(t, func() bool { return !idleUsable(c) })
	c2, s2 := tcpPair(t)
	s2.Close()
	within(t, func() bool { return !idleUsable(c2) })
}

func within(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not within 3 s")
		}
	}
}

// BenchmarkIdleUsable is the check's cost on every reuse of a pooled
// connection (one non-blocking recvfrom).
func BenchmarkIdleUsable(b *testing.B) {
	c, _ := tcpPair(b)
	for b.Loop() {
		if !idleUsable(c) {
			b.Fatal("unusable")
		}
	}
}
