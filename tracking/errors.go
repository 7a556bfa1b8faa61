package tracking

import (
	"errors"
	"fmt"
)

// ErrorCode is one of MLflow's error codes (databricks_pb2.ErrorCode names).
type ErrorCode string

// The error codes the store returns.
const (
	CodeInternalError         ErrorCode = "INTERNAL_ERROR"
	CodeBadRequest            ErrorCode = "BAD_REQUEST"
	CodeInvalidParameterValue ErrorCode = "INVALID_PARAMETER_VALUE"
	CodeInvalidState          ErrorCode = "INVALID_STATE"
	CodeResourceDoesNotExist  ErrorCode = "RESOURCE_DOES_NOT_EXIST"
	CodeResourceAlreadyExists ErrorCode = "RESOURCE_ALREADY_EXISTS"
)

// Error is a domain failure with MLflow's error code and the message MLflow's
// server gives for it. The HTTP layer turns it into MLflow's error JSON.
type Error struct {
	Code    ErrorCode
	Message string
}

// Error implements error.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, tracking.ErrNotFound) works whatever the message.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// Sentinels for errors.Is; they match any *Error with the same code.
var (
	ErrNotFound         = &Error{Code: CodeResourceDoesNotExist}
	ErrAlreadyExists    = &Error{Code: CodeResourceAlreadyExists}
	ErrInvalidParameter = &Error{Code: CodeInvalidParameterValue}
	ErrInvalidState     = &Error{Code: CodeInvalidState}
)

// NotFound returns a RESOURCE_DOES_NOT_EXIST error with a formatted message.
func NotFound(format string, args ...any) *Error {
	return &Error{Code: CodeResourceDoesNotExist, Message: fmt.Sprintf(format, args...)}
}

// AlreadyExists returns a RESOURCE_ALREADY_EXISTS error with a formatted
// message.
func AlreadyExists(format string, args ...any) *Error {
	return &Error{Code: CodeResourceAlreadyExists, Message: fmt.Sprintf(format, args...)}
}

// InvalidParameter returns an INVALID_PARAMETER_VALUE error with a formatted
// message.
func InvalidParameter(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParameterValue, Message: fmt.Sprintf(format, args...)}
}

// InvalidState returns an INVALID_STATE error with a formatted message.
func InvalidState(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidState, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the MLflow error code of err: the code of the *Error it
// wraps, or INTERNAL_ERROR for any other non-nil error.
func CodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternalError
}
