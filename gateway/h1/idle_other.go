//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package h1

import "net"

// idleUsable reports whether an idle pooled connection may carry a call;
// without a non-blocking peek, every one is tried (a closed one fails
// before the answer and is retried when the request is replayable).
func idleUsable(net.Conn) bool { return true }
