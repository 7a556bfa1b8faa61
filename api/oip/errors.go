package oip

import (
	"errors"
	"fmt"
)

// ErrResponseTooLarge is returned by the encoders given a size limit when
// the response would be larger: the server's limit, not the client's
// mistake alone.
var ErrResponseTooLarge = errors.New("the response is larger than the limit")

// ErrorKind classifies an [Error].
type ErrorKind int

const (
	// KindInvalid is a malformed or inconsistent request: HTTP 400.
	KindInvalid ErrorKind = iota
	// KindNotFound is an unknown model, version or tensor name, for servers
	// that answer those with 404.
	KindNotFound
	// KindUnsupportedMediaType is a request body of a content type the
	// protocol does not take: HTTP 415.
	KindUnsupportedMediaType
)

// Error is a client's mistake found while decoding a request. Msg names the
// field at fault and what was expected; it is what goes into
// [ErrorResponse].
type Error struct {
	Kind ErrorKind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Invalidf returns a KindInvalid error.
func Invalidf(format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Msg: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a KindNotFound error.
func NotFoundf(format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, Msg: fmt.Sprintf(format, args...)}
}

// ErrorResponse is the body of every failed request:
// {"error": "descriptive message"}.
type ErrorResponse struct {
	Error string `json:"error"`
}
