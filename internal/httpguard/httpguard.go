// Package httpguard holds the request guards berth's servers share: a
// deadline for receiving request bodies, a body reader whose buffer grows
// with what arrives and takes its bytes from a budget shared by all the
// server's requests, a deadline per part for sending answers, a Host
// allowlist against DNS rebinding, and the bearer-token reader. The guards
// are plain net/http middleware and functions, so the scoring server, the
// tracking server and the gateway guard their requests the same way.
package httpguard

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"
)

// ErrBodyTimeout is the error a request body's Read returns under
// [BodyDeadline] when the client has not sent the whole body in time.
// Servers answer it with 408 Request Timeout.
var ErrBodyTimeout = errors.New("request body not received in time")

// DefaultBodyTimeout is the deadline berth's servers give a client to send
// a request body unless told otherwise.
const DefaultBodyTimeout = 60 * time.Second

// BodyDeadline makes the body of each request that has one arrive in
// time: its first [BodyPart] bytes (or all of it, when smaller) within d of
// the handler starting, and each further BodyPart within d of the one
// before. Past it, Read returns an error that errors.Is [ErrBodyTimeout],
// and onTimeout (if not nil) runs once the handler returns, for counting.
// d <= 0 sets no deadline.
//
// The connection's read deadline is what is set, so a body trickled one
// byte at a time or a chunked body that never ends both stop at d; a
// large upload over a slow link is not cut off as long as it keeps up
// BodyPart per d (at the default 60 s, 17 kB/s: the rule berth's servers
// apply to answers the other way, see [WriteProgress]). Once the body has
// been read, net/http clears the deadline, so a slow handler is not cut
// off by it.
func BodyDeadline(h http.Handler, d time.Duration, onTimeout func(*http.Request)) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(d)); err != nil {
			// The writer cannot set deadlines (a test recorder, HTTP/2
			// without support): serve without one.
			h.ServeHTTP(w, r)
			return
		}
		b := &deadlineBody{ReadCloser: r.Body, d: d, rc: rc}
		r.Body = b
		h.ServeHTTP(w, r)
		if b.timedOut.Load() && onTimeout != nil {
			onTimeout(r)
		}
	})
}

// BodyPart is how much of a request body [BodyDeadline] wants within each
// of its deadlines.
const BodyPart = 1 << 20

type deadlineBody struct {
	io.ReadCloser
	d        time.Duration
	rc       *http.ResponseController
	part     int // bytes read since the deadline was last set
	timedOut atomic.Bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		b.timedOut.Store(true)
		return n, &bodyTimeoutError{d: b.d}
	}
	if b.part += n; b.part >= BodyPart && err == nil {
		// A part has arrived in time: the next has d from now.
		b.part = 0
		_ = b.rc.SetReadDeadline(time.Now().Add(b.d))
	}
	return n, err
}

type bodyTimeoutError struct{ d time.Duration }

func (e *bodyTimeoutError) Error() string {
	return fmt.Sprintf("the request body did not arrive within %s (each MiB of it has that long)", e.d)
}
func (e *bodyTimeoutError) Is(target error) bool { return target == ErrBodyTimeout }

// InvalidHostMessage is the body of the 403 answered to a request whose
// Host is not allowed; it is MLflow 3's text.
const InvalidHostMessage = "Invalid Host header - possible DNS rebinding attack detected"

// LoopbackHosts are the names a server bound to a loopback address
// answers by default: a page on another site that rebinds its own name to
// 127.0.0.1 sends its own name as Host and is refused.
var LoopbackHosts = []string{"localhost", "127.0.0.1", "[::1]", "::1"}

// DefaultAllowedHosts is the Host allowlist for a server listening on
// bindHost: [LoopbackHosts] when it is a loopback address or name, and nil
// (no check) otherwise, where the server is meant to be reached under
// names it cannot know.
func DefaultAllowedHosts(bindHost string) []string {
	if IsLoopback(bindHost) {
		return LoopbackHosts
	}
	return nil
}

// IsLoopback reports whether host (a name or an address, brackets
// allowed) is the loopback interface.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// AllowHosts answers 403 with [InvalidHostMessage] to requests whose Host
// header matches none of allowed, except on the paths in exempt (health
// checks, which load balancers send under any name). An entry matches the
// Host's name, or the whole Host with its port when it has one; "*" and
// patterns with * and ? ("*.example.com") work as in path.Match. An empty allowed
// list disables the check.
func AllowHosts(h http.Handler, allowed []string, exempt ...string) http.Handler {
	if len(allowed) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if HostAllowed(r.Host, allowed) || contains(exempt, r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(InvalidHostMessage))
	})
}

// HostAllowed reports whether a Host header value matches allowed (see
// [AllowHosts]). Names compare case-insensitively.
func HostAllowed(host string, allowed []string) bool {
	host = strings.ToLower(host)
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
		if strings.Contains(h, ":") {
			name = "[" + h + "]" // IPv6, written as in a Host header
		}
	}
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "*" || a == host || a == name || a == strings.Trim(name, "[]") {
			return true
		}
		if !strings.ContainsAny(a, "*?") {
			continue
		}
		// Only * and ? are special: brackets belong to IPv6 addresses.
		a = strings.NewReplacer("[", `\[`, "]", `\]`).Replace(a)
		if m, _ := path.Match(a, host); m {
			return true
		}
		if m, _ := path.Match(a, name); m {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Bearer returns the token of an "Authorization: Bearer TOKEN" header.
// The scheme is matched case-insensitively (RFC 9110 §11.1) and the token
// is taken as sent, without surrounding blanks.
func Bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// Server is the guards every berth server puts around its handler, in the
// one order that works: the body deadline outermost, so that it also
// bounds net/http's read of the body a refused Host left unread; then
// answers' progress ([WriteProgress], [DefaultWriteTimeout]); then the
// Host allowlist ([AllowHosts] with allowed and exempt). bodyTimeout and
// onBodyTimeout are [BodyDeadline]'s.
func Server(h http.Handler, allowed []string, exempt []string, bodyTimeout time.Duration, onBodyTimeout func(*http.Request)) http.Handler {
	return BodyDeadline(WriteProgress(AllowHosts(h, allowed, exempt...), DefaultWriteTimeout), bodyTimeout, onBodyTimeout)
}
