package gateway

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/internal/httpguard"
)

// format is a route family's error shape.
type format int

const (
	// mlflowFormat: FastAPI's {"detail": ...} (and slowapi's {"error": ...}
	// for an endpoint's call limit), as MLflow's routes answer.
	mlflowFormat format = iota
	// openaiFormat: OpenAI's {"error": {"message", "type", "param",
	// "code"}}, with MLflow's "detail" beside it, on /v1/*.
	openaiFormat
)

// clientError is a client's mistake: a 4xx with MLflow's detail (a string,
// or a list of validation errors).
type clientError struct {
	status int
	detail any
}

func (e *clientError) Error() string { return fmt.Sprintf("%d: %v", e.status, e.detail) }

func notFound() error { return &clientError{http.StatusNotFound, "Not Found"} }

func badRequest(format string, a ...any) error {
	return &clientError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

func invalid(errs ...deployments.ValidationError) error {
	return &clientError{http.StatusUnprocessableEntity, errs}
}

// limitExceeded is an endpoint's own call limit (MLflow's limit:).
type limitExceeded struct {
	limit      string
	retryAfter time.Duration
}

func (e *limitExceeded) Error() string { return "Rate limit exceeded: " + e.limit }

// circuitOpen is a provider whose circuit breaker is open.
type circuitOpen struct {
	provider, endpoint string
	retryAfter         time.Duration
}

func (e *circuitOpen) Error() string {
	return fmt.Sprintf("provider %s for endpoint %s is failing; calls are paused", e.provider, e.endpoint)
}

// errorAnswer is an error as it goes on the wire.
type errorAnswer struct {
	status     int
	detail     any    // MLflow's detail
	message    string // one line, for OpenAI's error.message
	kind       string // OpenAI's error.type
	code       string // OpenAI's error.code
	retryAfter time.Duration
	slowapi    bool // MLflow's limit: {"error": "..."} instead of detail
	class      string
}

// answerFor is the one place that maps an error to an HTTP answer.
// Messages never hold a provider key: provider errors are built without
// them, and the text is redacted against the config's secrets anyway.
func answerFor(err error, secrets []string) errorAnswer {
	var (
		ce *clientError
		le *limitExceeded
		de *Denied
		pe *provider.Error
		co *circuitOpen
	)
	switch {
	case errors.As(err, &ce):
		a := errorAnswer{status: ce.status, detail: ce.detail, kind: "invalid_request_error", class: "client"}
		switch d := ce.detail.(type) {
		case string:
			a.message = d
		case []deployments.ValidationError:
			var parts []string
			for _, v := range d {
				parts = append(parts, fmt.Sprintf("%s: %s", locString(v.Loc), v.Msg))
			}
			a.message = strings.Join(parts, "; ")
		}
		if ce.status == http.StatusNotFound {
			a.kind = "not_found_error"
		}
		return a
	case errors.As(err, &le):
		return errorAnswer{status: http.StatusTooManyRequests, detail: le.Error(), message: le.Error(), kind: "rate_limit_error",
			code: "rate_limit_exceeded", retryAfter: le.retryAfter, slowapi: true, class: "limit"}
	case errors.As(err, &de):
		a := errorAnswer{detail: de.Message, message: de.Message, retryAfter: de.RetryAfter, class: "denied"}
		switch de.Reason {
		case DenyUnauthenticated:
			a.status, a.kind, a.code = http.StatusUnauthorized, "authentication_error", "invalid_api_key"
		case DenyForbidden:
			a.status, a.kind, a.code = http.StatusForbidden, "permission_error", "endpoint_not_allowed"
		case DenyBudgetExceeded:
			a.status, a.kind, a.code = http.StatusTooManyRequests, "insufficient_quota", "budget_exceeded"
		default:
			a.status, a.kind, a.code = http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded"
		}
		return a
	case errors.As(err, &co):
		return errorAnswer{status: http.StatusServiceUnavailable, detail: co.Error(), message: co.Error(), kind: "api_error",
			code: "circuit_open", retryAfter: co.retryAfter, class: "circuit_open"}
	case errors.As(err, &pe):
		msg := redactString(pe.Error(), secrets)
		a := errorAnswer{detail: msg, message: msg, kind: "api_error", class: pe.Kind.String(), retryAfter: pe.RetryAfter}
		switch pe.Kind {
		case provider.KindUpstream:
			switch s := pe.Status; {
			case s == http.StatusTooManyRequests:
				a.status, a.kind, a.code = s, "rate_limit_error", "rate_limit_exceeded"
			case s == http.StatusBadRequest || s == http.StatusNotFound || s == http.StatusRequestEntityTooLarge || s == http.StatusUnprocessableEntity:
				a.status, a.kind = s, "invalid_request_error" // the upstream refused the client's request as such
			case s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout:
				a.status = s
			default:
				a.status = http.StatusBadGateway // 5xx, and 401/403: the gateway's key or config is at fault
			}
		case provider.KindTimeout:
			a.status = http.StatusGatewayTimeout
		case provider.KindInvalidRequest, provider.KindUnsupported:
			a.status, a.kind = http.StatusBadRequest, "invalid_request_error"
		default: // unreachable, bad response
			a.status = http.StatusBadGateway
		}
		return a
	case errors.Is(err, context.DeadlineExceeded):
		return errorAnswer{status: http.StatusGatewayTimeout, detail: "The upstream did not answer in time.", message: "The upstream did not answer in time.",
			kind: "api_error", class: "timeout"}
	}
	if errors.Is(err, httpguard.ErrBudget) {
		msg := "The gateway is holding as many request bodies as it may; try again shortly."
		return errorAnswer{status: http.StatusServiceUnavailable, detail: msg, message: msg, kind: "api_error",
			code: "overloaded", retryAfter: time.Second, class: "overloaded"}
	}
	if errors.Is(err, httpguard.ErrOverBudget) {
		msg := "The request body is larger than the gateway's body budget (--gateway-body-budget)."
		return errorAnswer{status: http.StatusRequestEntityTooLarge, detail: msg, message: msg, kind: "invalid_request_error", class: "client"}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		msg := fmt.Sprintf("The request body is larger than %d bytes.", mbe.Limit)
		return errorAnswer{status: http.StatusRequestEntityTooLarge, detail: msg, message: msg, kind: "invalid_request_error", class: "client"}
	}
	var gd *guardFailure
	if errors.As(err, &gd) {
		return errorAnswer{status: http.StatusServiceUnavailable, detail: "The gateway could not check the request's key.", message: "The gateway could not check the request's key.",
			kind: "api_error", class: "guard"}
	}
	return errorAnswer{status: http.StatusInternalServerError, detail: "Internal Server Error", message: "Internal Server Error", kind: "api_error", class: "internal"}
}

// guardFailure is a Guard's own failure (not a refusal).
type guardFailure struct{ err error }

func (g *guardFailure) Error() string { return "checking the request: " + g.err.Error() }
func (g *guardFailure) Unwrap() error { return g.err }

func locString(loc []any) string {
	parts := make([]string, len(loc))
	for i, l := range loc {
		parts[i] = fmt.Sprint(l)
	}
	return strings.Join(parts, ".")
}

// writeError writes err in the route's format.
func writeError(w http.ResponseWriter, f format, a errorAnswer) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if a.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(a.retryAfter.Seconds()))))
	}
	switch {
	case f == mlflowFormat && a.slowapi:
		writeJSON(w, a.status, deployments.LimitExceeded{Error: a.message})
	case f == mlflowFormat:
		writeJSON(w, a.status, map[string]any{"detail": a.detail})
	default:
		var code *string
		if a.code != "" {
			code = &a.code
		}
		writeJSON(w, a.status, struct {
			Error  deployments.OpenAIErrorBody `json:"error"`
			Detail any                         `json:"detail"`
		}{deployments.OpenAIErrorBody{Message: a.message, Type: a.kind, Code: code}, a.detail})
	}
}
