package scoring

import "fmt"

// MLflow error codes used in [Error.Code] and [ErrorResponse.ErrorCode].
// Each comment names the HTTP status the server is meant to answer with.
const (
	// CodeBadRequest: 400. The body cannot be read as a scoring request.
	CodeBadRequest = "BAD_REQUEST"
	// CodeInvalidParameterValue: 400. The request is well formed but does
	// not fit the model's signature (missing inputs, wrong shape, bad params).
	CodeInvalidParameterValue = "INVALID_PARAMETER_VALUE"
	// CodeMalformedRequest: 400.
	CodeMalformedRequest = "MALFORMED_REQUEST"
	// CodeUnauthenticated: 401.
	CodeUnauthenticated = "UNAUTHENTICATED"
	// CodePermissionDenied: 403.
	CodePermissionDenied = "PERMISSION_DENIED"
	// CodeEndpointNotFound: 404, an unknown route.
	CodeEndpointNotFound = "ENDPOINT_NOT_FOUND"
	// CodeResourceDoesNotExist: 404, an unknown model or version.
	CodeResourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST"
	// CodeRequestLimitExceeded: 429 (too many requests) or 413 (body too large).
	CodeRequestLimitExceeded = "REQUEST_LIMIT_EXCEEDED"
	// CodeInternalError: 500, the server's or the model runtime's fault.
	CodeInternalError = "INTERNAL_ERROR"
	// CodeTemporarilyUnavailable: 503, for example while a model loads or drains.
	CodeTemporarilyUnavailable = "TEMPORARILY_UNAVAILABLE"
	// CodeDeadlineExceeded: 504, inference ran past its deadline.
	CodeDeadlineExceeded = "DEADLINE_EXCEEDED"
)

// Error is a scoring request failure carrying an MLflow error code; the
// server maps Code to an HTTP status in one place and writes
// [ErrorResponse]{Code, Message}. Message names the field at fault, what
// was expected and what came.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an [*Error] with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *Error {
	return Errorf(CodeBadRequest, format, args...)
}

func invalidParam(format string, args ...any) *Error {
	return Errorf(CodeInvalidParameterValue, format, args...)
}

// MediaTypeError is an unsupported Content-Type. The server answers 415
// with Msg as a text/plain body, as MLflow does.
type MediaTypeError struct {
	Msg string
}

func (e *MediaTypeError) Error() string { return e.Msg }

// ProtocolChangeInfo is the notice MLflow appends to errors that suggest a
// client still speaks the MLflow 1.x scoring protocol.
const ProtocolChangeInfo = "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. " +
	"If you are seeing this error, you are likely using an outdated scoring request format. " +
	"To resolve the error, either update your request format or adjust your MLflow Model's requirements " +
	"file to specify an older version of MLflow (for example, change the 'mlflow' requirement specifier " +
	"to 'mlflow==1.30.0'). If you are making a request using the MLflow client " +
	"(e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in order " +
	"to use the new request format. For more information about the updated MLflow Model scoring protocol " +
	"in MLflow 2.0, see https://mlflow.org/docs/latest/models.html#deploy-mlflow-models."
