package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/httpguard"
)

// The server's own failures, mapped to statuses in httpStatus.
var (
	// ErrNotReady is returned while models are still loading.
	ErrNotReady = errors.New("the server is starting: models are still loading")
	// ErrUnauthorized is returned when a bearer token is required and the
	// request has none or another one.
	ErrUnauthorized = errors.New("a valid bearer token is required (Authorization: Bearer <token>)")
	// ErrTimeout is returned when a request outlives the server's
	// per-request timeout.
	ErrTimeout = errors.New("the request took longer than the server's per-request timeout")
)

// ModelNotFoundError names a model or version the server does not serve.
type ModelNotFoundError struct {
	Name    string
	Version string // empty when any version was asked for
	Served  []string
}

func (e *ModelNotFoundError) Error() string {
	if e.Version != "" {
		return fmt.Sprintf("model %q version %q is not served here (serving %v)", e.Name, e.Version, e.Served)
	}
	return fmt.Sprintf("model %q is not served here (serving %v)", e.Name, e.Served)
}

// routeError is an unknown path or a wrong method.
type routeError struct {
	status int
	msg    string
}

func (e *routeError) Error() string { return e.msg }

// httpStatus is the one place that maps errors to HTTP statuses and MLflow
// error codes. A client's mistake is always a 4xx.
func httpStatus(err error) (int, string) {
	var (
		mediaErr  *scoring.MediaTypeError
		scoreErr  *scoring.Error
		oipErr    *oip.Error
		inputErr  *flavors.InputError
		notFound  *ModelNotFoundError
		tooLarge  *http.MaxBytesError
		routeErr  *routeError
		unsupport *flavors.UnsupportedFlavorError
		tooMuch   *ResponseTooLargeError
		cost      *BodyCostError
	)
	switch {
	case errors.Is(err, httpguard.ErrBodyTimeout):
		return http.StatusRequestTimeout, scoring.CodeDeadlineExceeded
	case errors.As(err, &mediaErr):
		return http.StatusUnsupportedMediaType, scoring.CodeBadRequest
	case errors.As(err, &scoreErr):
		return http.StatusBadRequest, scoreErr.Code
	case errors.As(err, &oipErr):
		if oipErr.Kind == oip.KindUnsupportedMediaType {
			return http.StatusUnsupportedMediaType, scoring.CodeBadRequest
		}
		return http.StatusBadRequest, scoring.CodeBadRequest
	case errors.Is(err, httpguard.ErrBudget):
		return http.StatusServiceUnavailable, scoring.CodeTemporarilyUnavailable
	case errors.As(err, &tooMuch), errors.As(err, &cost):
		return http.StatusRequestEntityTooLarge, scoring.CodeRequestLimitExceeded
	case errors.As(err, &inputErr):
		return http.StatusBadRequest, scoring.CodeInvalidParameterValue
	case errors.As(err, &notFound):
		return http.StatusNotFound, scoring.CodeResourceDoesNotExist
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, scoring.CodeRequestLimitExceeded
	case errors.As(err, &routeErr):
		if routeErr.status == http.StatusMethodNotAllowed {
			return routeErr.status, scoring.CodeBadRequest
		}
		return routeErr.status, scoring.CodeEndpointNotFound
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized, scoring.CodeUnauthenticated
	case errors.Is(err, ErrNotReady), errors.Is(err, ErrOverloaded):
		return http.StatusServiceUnavailable, scoring.CodeTemporarilyUnavailable
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, scoring.CodeDeadlineExceeded
	case errors.As(err, &unsupport):
		return http.StatusInternalServerError, scoring.CodeInternalError
	}
	return http.StatusInternalServerError, scoring.CodeInternalError
}
