package config

import (
	"fmt"
	"strings"
)

// fieldError is one pydantic v1 validation error.
type fieldError struct {
	loc, msg, typ string
}

// validation formats errors as MLflow prints a pydantic ValidationError:
// "The gateway configuration is invalid: 1 validation error for
// GatewayConfig\nendpoints\n  field required (type=value_error.missing)".
func validation(errs ...fieldError) error {
	var b strings.Builder
	n := "1 validation error"
	if len(errs) > 1 {
		n = fmt.Sprintf("%d validation errors", len(errs))
	}
	fmt.Fprintf(&b, "The gateway configuration is invalid: %s for GatewayConfig", n)
	for _, e := range errs {
		fmt.Fprintf(&b, "\n%s\n  %s (type=%s)", e.loc, e.msg, e.typ)
	}
	return &Error{Message: b.String()}
}
