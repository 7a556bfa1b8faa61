package provider

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Kind classifies a provider failure. The gateway maps kinds to HTTP
// answers in one place; adapters never choose a status themselves.
type Kind int

// The kinds of failure.
const (
	// KindUpstream: the upstream answered with an error status (Status).
	KindUpstream Kind = iota
	// KindUnreachable: no answer: connection refused, reset, DNS.
	KindUnreachable
	// KindTimeout: the upstream did not answer in time.
	KindTimeout
	// KindBadResponse: the upstream answered 2xx with a body that could
	// not be read as the expected shape.
	KindBadResponse
	// KindInvalidRequest: the client's request cannot be expressed for
	// this provider (e.g. a content type it does not take): a client
	// mistake, answered 400.
	KindInvalidRequest
	// KindUnsupported: the provider does not offer this endpoint type or
	// mode.
	KindUnsupported
)

var kindNames = [...]string{"upstream", "unreachable", "timeout", "bad_response", "invalid_request", "unsupported"}

// String names the kind, as used in metrics' error class label.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind" + strconv.Itoa(int(k))
}

// Error is a provider's failure. Message is safe to show to the client (it
// never holds a key: adapters build it from the upstream's error message
// or their own words). Err is the cause, for logs (also key-free).
type Error struct {
	Provider   string        // MLflow's provider name, e.g. "openai"
	Kind       Kind          // what went wrong
	Status     int           // the upstream's HTTP status for KindUpstream, else 0
	Message    string        // the upstream's error message, or a description
	RetryAfter time.Duration // the upstream's Retry-After, 0 when none
	Err        error         // the cause, may be nil
}

func (e *Error) Error() string {
	s := "provider " + e.Provider
	if e.Status != 0 {
		s += fmt.Sprintf(" answered %d", e.Status)
	} else {
		s += " " + e.Kind.String()
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil && e.Message == "" {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether trying the same call again may succeed: the
// upstream was unreachable, timed out, answered 429, or answered 5xx.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case KindUnreachable, KindTimeout:
		return true
	case KindUpstream:
		return e.Status == http.StatusTooManyRequests || e.Status >= 500
	}
	return false
}

// AsError returns err's *Error, if it holds one.
func AsError(err error) (*Error, bool) {
	var pe *Error
	ok := errors.As(err, &pe)
	return pe, ok
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date (relative to now). It returns 0 for an empty, invalid or past
// value, and caps the answer at one hour.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n <= 0 || n != n {
			return 0
		}
		if n > 3600 {
			n = 3600
		}
		d = time.Duration(n * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, time.Hour)
}
