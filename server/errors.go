package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/internal/httpguard"
	"github.com/berthml/berth/tracking"
)

// requestError is a client's mistake found by the HTTP layer itself (a
// missing parameter, a body that is not JSON, a value of the wrong type),
// with MLflow's error code.
type requestError struct {
	code string
	msg  string
}

func (e *requestError) Error() string { return e.msg }

func invalidParam(format string, args ...any) error {
	return &requestError{mlflowrest.CodeInvalidParameterValue, fmt.Sprintf(format, args...)}
}

// routeError is an unknown path or a wrong method.
type routeError struct {
	status int
	msg    string
}

func (e *routeError) Error() string { return e.msg }

// The answers to a request without the token it needs.
var (
	errUnauthenticated = errors.New("this server requires a bearer token (Authorization: Bearer <token>)")
	errReadOnly        = errors.New("this token may only read: changing anything needs a write token")
)

// errMultipartUnsupported answers the multipart-upload routes: the local
// artifact store cannot do multipart, and MLflow's client falls back to a
// single PUT on this answer (MLflow 2.17.2's text and code).
var errMultipartUnsupported = errors.New("Multipart upload is not supported for the current artifact repository")

// errPanic answers a handler that panicked.
var errPanic = errors.New("internal error: the request handler failed; see the server log")

// httpStatus is the one place that maps errors to HTTP statuses and MLflow
// error codes. A client's mistake is always a 4xx; only failures of the
// server itself (the database, the disk) are 5xx.
func httpStatus(err error) (int, string) {
	var (
		reqErr   *requestError
		missing  *mlflowrest.MissingParamError
		trackErr *tracking.Error
		routeErr *routeError
		valueErr *mlflowrest.ValueError
		tooLarge *http.MaxBytesError
		limit    *limitError
		syntax   *json.SyntaxError
		typeErr  *json.UnmarshalTypeError
		notFound *notFoundError
	)
	switch {
	case errors.Is(err, httpguard.ErrBodyTimeout):
		return http.StatusRequestTimeout, mlflowrest.CodeDeadlineExceeded
	case errors.Is(err, httpguard.ErrBudget):
		return http.StatusServiceUnavailable, mlflowrest.CodeTemporarilyUnavailable
	case errors.As(err, &limit):
		return http.StatusRequestEntityTooLarge, mlflowrest.CodeRequestLimitExceeded
	case errors.Is(err, errMultipartUnsupported):
		return http.StatusNotImplemented, mlflowrest.CodeNotImplemented
	case errors.Is(err, errArtifactsNotServed): // MLflow's answer with --no-serve-artifacts
		return http.StatusServiceUnavailable, mlflowrest.CodeTemporarilyUnavailable
	case errors.Is(err, errUnauthenticated):
		return http.StatusUnauthorized, mlflowrest.CodeUnauthenticated
	case errors.Is(err, errReadOnly):
		return http.StatusForbidden, mlflowrest.CodePermissionDenied
	case errors.As(err, &reqErr):
		return http.StatusBadRequest, reqErr.code
	case errors.As(err, &missing):
		return http.StatusBadRequest, mlflowrest.CodeInvalidParameterValue
	case errors.As(err, &notFound):
		return http.StatusNotFound, mlflowrest.CodeResourceDoesNotExist
	case errors.As(err, &routeErr):
		if routeErr.status == http.StatusMethodNotAllowed {
			return routeErr.status, mlflowrest.CodeBadRequest
		}
		return routeErr.status, mlflowrest.CodeEndpointNotFound
	case errors.As(err, &trackErr):
		switch trackErr.Code {
		case tracking.CodeResourceDoesNotExist:
			return http.StatusNotFound, string(trackErr.Code)
		case tracking.CodeInternalError:
			return http.StatusInternalServerError, string(trackErr.Code)
		}
		// RESOURCE_ALREADY_EXISTS, INVALID_PARAMETER_VALUE, INVALID_STATE
		// and BAD_REQUEST are all 400 in MLflow.
		return http.StatusBadRequest, string(trackErr.Code)
	case errors.Is(err, ErrInvalidPath):
		return http.StatusBadRequest, mlflowrest.CodeInvalidParameterValue
	case errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound, mlflowrest.CodeResourceDoesNotExist
	case errors.As(err, &valueErr), errors.As(err, &syntax), errors.As(err, &typeErr):
		return http.StatusBadRequest, mlflowrest.CodeInvalidParameterValue
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, mlflowrest.CodeRequestLimitExceeded
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, mlflowrest.CodeTemporarilyUnavailable
	}
	return http.StatusInternalServerError, mlflowrest.CodeInternalError
}

// writeError answers err as MLflow's compact error JSON. Internal errors are
// logged in full and answered with a generic message, so that no local path
// or SQL text leaks to the client.
func (s *Server) writeError(c *gin.Context, err error) {
	status, code := httpStatus(err)
	msg := err.Error()
	var trackErr *tracking.Error
	if errors.As(err, &trackErr) && trackErr.Code != tracking.CodeInternalError {
		msg = trackErr.Message
	}
	if errors.Is(err, httpguard.ErrBudget) {
		// MLflow's client retries a 503 with backoff; others read this.
		c.Header("Retry-After", "1")
		msg = "The server is holding as many request bodies as it may; try again shortly."
	} else if status >= 500 && status != http.StatusNotImplemented && !errors.Is(err, errArtifactsNotServed) {
		s.opts.logger.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		msg = "Internal server error: " + http.StatusText(status) + ". See the server log."
	}
	body, _ := json.Marshal(mlflowrest.ErrorResponse{ErrorCode: code, Message: msg})
	c.Abort()
	c.Data(status, "application/json", body)
}

// notFoundError is a missing artifact: 404 RESOURCE_DOES_NOT_EXIST.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }
