package keys

import (
	"errors"
	"fmt"
	"time"
)

// Kind is what a refusal means to the client. The gateway's HTTP layer maps
// it to a status: KindUnauthenticated 401, KindForbidden 403,
// KindRateLimited and KindQuotaExceeded 429 with Retry-After.
type Kind int

// The kinds of refusal.
const (
	// KindUnauthenticated: no key, an unknown, malformed, revoked or
	// expired one.
	KindUnauthenticated Kind = iota + 1
	// KindForbidden: the key may not call this endpoint.
	KindForbidden
	// KindRateLimited: the key's requests or tokens per minute are spent;
	// RetryAfter says when the window has room again.
	KindRateLimited
	// KindQuotaExceeded: the key's daily or monthly token or spend budget
	// is spent; RetryAfter runs to the start of the next day or month (UTC).
	KindQuotaExceeded
)

// Sentinels that an *Error matches with errors.Is, by Kind.
var (
	ErrUnauthenticated = errors.New("gateway key missing or not valid")
	ErrForbidden       = errors.New("gateway key may not call this endpoint")
	ErrRateLimited     = errors.New("gateway key rate limit reached")
	ErrQuotaExceeded   = errors.New("gateway key budget spent")
)

// Error is a refused admission. Message is written for the client and never
// holds the key itself. The gateway maps Kind to the HTTP status and the
// route's error body (gateway/errors.go: the one place).
type Error struct {
	Kind    Kind
	Message string
	// Limit names the limit or budget reached, for metrics and logs:
	// requests_per_minute, tokens_per_minute, day_tokens, month_tokens,
	// day_spend or month_spend; "" for other kinds.
	Limit string
	// RetryAfter is how long until the request could be admitted; zero
	// unless Kind is KindRateLimited or KindQuotaExceeded, and then at
	// least a second (Retry-After is in whole seconds).
	RetryAfter time.Duration
	// Key is the name of the key refused when it is known (revoked,
	// expired, forbidden, rate limited, over budget); "" for an unknown
	// key.
	Key string
}

func (e *Error) Error() string { return e.Message }

// Is matches the sentinel of e's Kind.
func (e *Error) Is(target error) bool {
	switch e.Kind {
	case KindUnauthenticated:
		return target == ErrUnauthenticated
	case KindForbidden:
		return target == ErrForbidden
	case KindRateLimited:
		return target == ErrRateLimited
	case KindQuotaExceeded:
		return target == ErrQuotaExceeded
	}
	return false
}

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, for the
// Retry-After header; 0 when there is none.
func (e *Error) RetryAfterSeconds() int64 {
	if e.RetryAfter <= 0 {
		return 0
	}
	return int64((e.RetryAfter + time.Second - 1) / time.Second)
}

func unauthenticated(format string, args ...any) *Error {
	return &Error{Kind: KindUnauthenticated, Message: fmt.Sprintf(format, args...)}
}

func forbidden(name, endpoint string) *Error {
	return &Error{Kind: KindForbidden, Key: name,
		Message: fmt.Sprintf("gateway key %q may not call endpoint %q", name, endpoint)}
}

func rateLimited(what, unit string, limit int64, wait time.Duration) *Error {
	return &Error{Kind: KindRateLimited, Key: what, Limit: unit + "_per_minute", RetryAfter: atLeastSecond(wait),
		Message: fmt.Sprintf("rate limit reached for gateway key %q on %s per minute: limit %d; try again in %ds",
			what, unit, limit, int64((atLeastSecond(wait)+time.Second-1)/time.Second))}
}

func quotaExceeded(name, what, limit string, wait time.Duration) *Error {
	return &Error{Kind: KindQuotaExceeded, Key: name, Limit: limit, RetryAfter: atLeastSecond(wait),
		Message: fmt.Sprintf("gateway key %q has spent its %s budget", name, what)}
}

// named sets the refused key's name on e (a known key that is revoked or
// expired).
func named(e *Error, name string) *Error { e.Key = name; return e }

func atLeastSecond(d time.Duration) time.Duration { return max(d, time.Second) }
