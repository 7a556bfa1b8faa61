// Package httpserve runs an http.Handler until a context ends, then shuts
// it down gracefully. berth's scoring and registry servers share it.
package httpserve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ErrStartFailed, as the cause of ctx's cancellation
// ([context.WithCancelCause]), tells Serve that the server never finished
// starting (a model failed to load): it closes at once, without logging a
// graceful shutdown.
var ErrStartFailed = errors.New("the server failed to start")

// Serve answers requests on ln with h until ctx is cancelled, then stops
// accepting connections and waits up to shutdownTimeout for requests in
// flight to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, shutdownTimeout time.Duration, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if errors.Is(context.Cause(ctx), ErrStartFailed) {
		srv.Close()
		<-errc
		return nil
	}
	log.Info("shutting down: finishing requests in flight", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
