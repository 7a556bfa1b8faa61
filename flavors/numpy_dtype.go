package flavors

import (
	"fmt"
	"regexp"
)

// numpyDTypes are the numpy dtype names MLflow writes for tensor specs
// (str(np.dtype)), with the DType each reads as.
var numpyDTypes = map[string]DType{
	"float16": Float16, "float32": Float32, "float64": Float64, "bfloat16": BFloat16,
	"int8": Int8, "int16": Int16, "int32": Int32, "int64": Int64,
	"uint8": Uint8, "uint16": Uint16, "uint32": Uint32, "uint64": Uint64,
	"bool": Bool,
	// Text: numpy object arrays, unicode ("<U0", "str") and bytes ("|S0").
	"object": String, "O": String, "str": String, "bytes": String,
}

// numpyText matches numpy's unicode and bytes type strings such as "<U0",
// "<U12" or "|S0".
var numpyText = regexp.MustCompile(`^[<>|=]?[US][0-9]*$`)

// ParseNumpyDType reads the numpy dtype name of an MLflow tensor spec.
// Unicode, bytes and object dtypes all read as [String].
func ParseNumpyDType(name string) (DType, error) {
	if d, ok := numpyDTypes[name]; ok {
		return d, nil
	}
	if numpyText.MatchString(name) {
		return String, nil
	}
	return "", fmt.Errorf("unknown numpy dtype %q", name)
}

// NumpyDType returns the numpy dtype name MLflow writes for d: the same
// name for numeric and bool types, "object" for [String] and [Map], and
// d itself for a DType berth does not know.
func NumpyDType(d DType) string {
	switch d {
	case String, Map:
		return "object"
	}
	return string(d)
}
