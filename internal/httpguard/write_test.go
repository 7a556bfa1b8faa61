package httpguard_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berthml/berth/internal/httpguard"
)

// stalledClient sends a GET to srv from a connection with a small receive
// buffer and never reads the answer.
func stalledClient(t *testing.T, srv *httptest.Server) {
	t.Helper()
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.(*net.TCPConn).SetReadBuffer(4096)
	if _, err := io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
}

// TestWriteProgressDropsStalledClients: an answer written in one Write,
// or copied from a file (net/http's sendfile), to a client that never
// reads fails d after it stalled, so the handler returns and lets its
// memory go; without the guard it would wait for as long as the client
// keeps the connection.
func TestWriteProgressDropsStalledClients(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 32<<20)
	file := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(file, big, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"write", "file"} {
		t.Run(how, func(t *testing.T) {
			done := make(chan error, 1)
			srv := httptest.NewServer(httpguard.WriteProgress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var err error
				if how == "write" {
					_, err = w.Write(big)
				} else {
					f, ferr := os.Open(file)
					if ferr != nil {
						done <- ferr
						return
					}
					defer f.Close()
					_, err = io.Copy(w, f)
				}
				done <- err
			}), 200*time.Millisecond))
			t.Cleanup(srv.Close)
			stalledClient(t, srv)
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("32 MB went to a client that reads nothing")
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the handler still writes to a client that stopped reading")
			}
		})
	}
}

// TestWriteProgressSlowReader: a client that reads steadily, if slowly,
// gets the whole answer: each part of a large write has its own deadline,
// where one deadline for the whole write would cut it off.
func TestWriteProgressSlowReader(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), (24<<20)/16)
	srv := httptest.NewServer(httpguard.WriteProgress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(big)
		// ResponseController reaches net/http's writer through Unwrap.
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush through the guard: %v", err)
		}
	}), 400*time.Millisecond))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			_ = nc.(*net.TCPConn).SetReadBuffer(64 << 10)
		}
		return nc, err
	}}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	var got bytes.Buffer
	buf := make([]byte, 256<<10)
	for {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", got.Len(), err)
		}
		time.Sleep(12 * time.Millisecond)
	}
	if !bytes.Equal(got.Bytes(), big) {
		t.Fatalf("got %d bytes of %d", got.Len(), len(big))
	}
	if time.Since(start) < 800*time.Millisecond {
		t.Fatalf("read in %v: the reader was not slower than one deadline, so the test shows nothing", time.Since(start))
	}
}
