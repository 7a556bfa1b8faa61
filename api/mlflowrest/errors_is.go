package mlflowrest

import "errors"

// IsNotFound reports whether err is, or wraps, an MLflow error answer with
// code RESOURCE_DOES_NOT_EXIST (an alias, model, version or experiment the
// server does not have).
func IsNotFound(err error) bool {
	var apiErr *ErrorResponse
	return errors.As(err, &apiErr) && apiErr.ErrorCode == CodeResourceDoesNotExist
}
