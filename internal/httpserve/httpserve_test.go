package httpserve_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/internal/httpserve"
)

// TestShutdownLog: a server stopped normally says it is finishing the
// requests in flight; one whose start failed says nothing of the kind.
func TestShutdownLog(t *testing.T) {
	for _, c := range []struct {
		name    string
		cause   error
		wantLog bool
	}{
		{"stopped", nil, true},
		{"start failed", httpserve.ErrStartFailed, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logged, nil))
			ctx, cancel := context.WithCancelCause(context.Background())
			done := make(chan error, 1)
			go func() { done <- httpserve.Serve(ctx, ln, http.NotFoundHandler(), time.Second, log) }()
			cancel(c.cause)
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Serve did not return")
			}
			if got := strings.Contains(logged.String(), "shutting down"); got != c.wantLog {
				t.Errorf("logged %q; want a shutdown line: %v", logged.String(), c.wantLog)
			}
		})
	}
}
