package flavors

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoMLmodel is returned when a directory has no MLmodel file.
var ErrNoMLmodel = errors.New("no MLmodel file")

// UnsupportedFlavorError says that none of a model's flavors can be run by
// berth, naming those found and those berth has.
type UnsupportedFlavorError struct {
	Dir       string
	Found     []string
	Supported []string
}

func (e *UnsupportedFlavorError) Error() string {
	found := "none"
	if len(e.Found) > 0 {
		found = strings.Join(e.Found, ", ")
	}
	return fmt.Sprintf("model %s has flavors [%s], and berth runs only [%s]: export the model to ONNX "+
		"(for example with skl2onnx, tf2onnx or torch.onnx) and log it with mlflow.onnx",
		e.Dir, found, strings.Join(e.Supported, ", "))
}

// InputError is a client's mistake in the data sent to a model: a wrong
// dtype, shape or a missing input. Field names the input or column.
type InputError struct {
	Field string
	Msg   string
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return fmt.Sprintf("input %q: %s", e.Field, e.Msg)
}

// FieldError is a malformed field of an MLmodel file or of a signature's
// JSON. Field is a path such as "signature.inputs[0].tensor-spec.dtype",
// or empty when the whole file is at fault.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// fieldErr builds a *FieldError with a formatted message.
func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}
