//go:build linux || darwin || freebsd || netbsd || openbsd

package h1

import (
	"net"
	"syscall"
	"time"
)

// idleUsable reports whether an idle pooled connection may carry a call:
// the upstream has neither closed it nor sent anything on it. One
// non-blocking peek at the socket tells.
func idleUsable(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	// A past deadline the last call left would fail the peek unread.
	if err := nc.SetReadDeadline(time.Time{}); err != nil {
		return false
	}
	usable := false
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if err == syscall.EINTR {
				continue
			}
			// Nothing to read yet: the connection is open and quiet. A
			// byte (n > 0), the upstream's close (n == 0) or an error:
			// not usable.
			usable = n <= 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
			return true
		}
	})
	return err == nil && usable
}
