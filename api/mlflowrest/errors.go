package mlflowrest

import "fmt"

// MLflow error codes (databricks ErrorCode names) as they appear in
// ErrorResponse.ErrorCode.
const (
	CodeInternalError          = "INTERNAL_ERROR"
	CodeBadRequest             = "BAD_REQUEST"
	CodeInvalidParameterValue  = "INVALID_PARAMETER_VALUE"
	CodeInvalidState           = "INVALID_STATE"
	CodeResourceDoesNotExist   = "RESOURCE_DOES_NOT_EXIST"
	CodeResourceAlreadyExists  = "RESOURCE_ALREADY_EXISTS"
	CodeEndpointNotFound       = "ENDPOINT_NOT_FOUND"
	CodeNotImplemented         = "NOT_IMPLEMENTED"
	CodePermissionDenied       = "PERMISSION_DENIED"
	CodeUnauthenticated        = "UNAUTHENTICATED"
	CodeTemporarilyUnavailable = "TEMPORARILY_UNAVAILABLE"
	CodeRequestLimitExceeded   = "REQUEST_LIMIT_EXCEEDED"
	CodeMalformedRequest       = "MALFORMED_REQUEST"
	CodeDeadlineExceeded       = "DEADLINE_EXCEEDED"
)

// ErrorResponse is MLflow's error body, {"error_code": ..., "message": ...}.
// It also implements error, so a Go client can return it.
type ErrorResponse struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

// Error implements error.
func (e *ErrorResponse) Error() string {
	return fmt.Sprintf("%s: %s", e.ErrorCode, e.Message)
}
