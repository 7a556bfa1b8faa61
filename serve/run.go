package serve

import (
	"context"
	"net"

	"github.com/berthml/berth/internal/httpserve"
)

// Serve answers requests on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting connections and waits up to the shutdown
// timeout for requests in flight to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	go s.tickDrift(ctx)
	return httpserve.Serve(ctx, ln, s.Handler(), s.opts.shutdownTimeout, s.opts.logger)
}
