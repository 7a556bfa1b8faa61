package httpguard_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
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

// partWriter is a ResponseWriter that records the deadlines set and the
// size of each write.
type partWriter struct {
	httptest.ResponseRecorder
	deadlines []time.Time
	writes    []int
}

func (w *partWriter) SetWriteDeadline(t time.Time) error {
	w.deadlines = append(w.deadlines, t)
	return nil
}

func (w *partWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, len(p))
	return len(p), nil
}

// TestWriteProgressParts: a large write goes out in parts of at most
// 1 MiB, each after a deadline d from its start, so that a reader that
// keeps taking parts is never cut off however long the whole takes; and
// http.ResponseController reaches the writer beneath through Unwrap.
func TestWriteProgressParts(t *testing.T) {
	w := &partWriter{}
	d := time.Minute
	start := time.Now()
	httpguard.WriteProgress(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if n, err := rw.Write(make([]byte, 3<<20+5)); n != 3<<20+5 || err != nil {
			t.Errorf("wrote %d, %v", n, err)
		}
		if err := http.NewResponseController(rw).SetWriteDeadline(time.Time{}); err != nil {
			t.Errorf("ResponseController through the guard: %v", err)
		}
	}), d).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if want := []int{1 << 20, 1 << 20, 1 << 20, 5}; !slices.Equal(w.writes, want) {
		t.Errorf("writes of %v, want %v", w.writes, want)
	}
	if len(w.deadlines) != 5 || !w.deadlines[4].IsZero() {
		t.Fatalf("deadlines %v: want one per part, then the handler's own", w.deadlines)
	}
	for _, dl := range w.deadlines[:4] {
		if dl.Before(start.Add(d)) || dl.After(time.Now().Add(d)) {
			t.Errorf("deadline %v, want d from the part's start", dl)
		}
	}
}
