package evaluate

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error Classify and Regress return for bad input is an
// *InputError that wraps one of these; check with errors.Is.
var (
	// ErrEmpty: no rows to evaluate.
	ErrEmpty = errors.New("no rows")
	// ErrLength: inputs that must be parallel have different lengths.
	ErrLength = errors.New("length mismatch")
	// ErrSingleClass: the targets and predictions hold fewer than two labels.
	ErrSingleClass = errors.New("fewer than two classes")
	// ErrProbabilities: the class probabilities do not fit the rows or classes,
	// or hold a negative or non-finite value.
	ErrProbabilities = errors.New("bad class probabilities")
	// ErrNonFinite: a regressor target or prediction is NaN or infinite.
	ErrNonFinite = errors.New("not a finite number")
	// ErrLabel: a label is empty, ambiguous, or the positive label is not one
	// of the labels.
	ErrLabel = errors.New("bad label")
)

// InputError reports input that cannot be evaluated: which argument, what
// was wrong with it, and the sentinel it is an instance of.
type InputError struct {
	Field  string // "y_true", "y_pred", "proba", "classes", "pos_label"
	Reason string
	Err    error // one of the sentinels above
}

func (e *InputError) Error() string {
	return fmt.Sprintf("evaluate: %s: %s", e.Field, e.Reason)
}

// Unwrap returns the sentinel.
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(sentinel error, field, format string, args ...any) error {
	return &InputError{Field: field, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}
