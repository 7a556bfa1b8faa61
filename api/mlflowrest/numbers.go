package mlflowrest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ValueError reports a JSON value that cannot be read as the number a field
// expects, such as "abc" for a metric value. Raw is the JSON text as sent and
// Kind names its JSON type in MLflow's words ("str", "bool", ...), so the HTTP
// layer can answer MLflow's "Invalid value ... Hint: Value was of type 'str'".
type ValueError struct {
	Raw  string
	Kind string
}

// Error implements error.
func (e *ValueError) Error() string {
	return fmt.Sprintf("invalid numeric value %s (of type %s)", e.Raw, e.Kind)
}

func jsonKind(b []byte) string {
	switch {
	case len(b) == 0:
		return "empty"
	case b[0] == '"':
		return "str"
	case b[0] == 't' || b[0] == 'f':
		return "bool"
	case b[0] == '[':
		return "list"
	case b[0] == '{':
		return "dict"
	case b[0] == 'n':
		return "NoneType"
	default:
		return "number"
	}
}

// Int64 is an int64 that encodes as a JSON number and decodes from a JSON
// number or a quoted decimal string, as protobuf's JSON parser does. A JSON
// null leaves the value unchanged.
type Int64 int64

// MarshalJSON encodes the value as a JSON number.
func (n Int64) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(n), 10), nil
}

// UnmarshalJSON accepts 12, 12.0 and "12".
func (n *Int64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return &ValueError{Raw: string(b), Kind: "str"}
		}
	} else if jsonKind(b) != "number" {
		return &ValueError{Raw: string(b), Kind: jsonKind(b)}
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = Int64(v)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<63-1 {
		return &ValueError{Raw: string(b), Kind: jsonKind(b)}
	}
	*n = Int64(f)
	return nil
}

// Float64 is a metric value. It encodes NaN and ±Inf as the strings "NaN",
// "Infinity" and "-Infinity" (protobuf's JSON mapping, which MLflow's client
// and server use) and every other value as a JSON number. It decodes from a
// JSON number, one of those strings, or a quoted number.
type Float64 float64

// MarshalJSON implements json.Marshaler.
func (f Float64) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Infinity"`), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if jsonKind(b) == "number" {
		v, err := strconv.ParseFloat(string(b), 64)
		if err != nil && !isRangeErr(err) {
			return &ValueError{Raw: string(b), Kind: "number"}
		}
		*f = Float64(v)
		return nil
	}
	if b[0] != '"' {
		return &ValueError{Raw: string(b), Kind: jsonKind(b)}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &ValueError{Raw: string(b), Kind: "str"}
	}
	switch s {
	case "NaN":
		*f = Float64(math.NaN())
		return nil
	case "Infinity":
		*f = Float64(math.Inf(1))
		return nil
	case "-Infinity":
		*f = Float64(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if (err != nil && !isRangeErr(err)) || math.IsNaN(v) || (math.IsInf(v, 0) && err == nil) {
		return &ValueError{Raw: string(b), Kind: "str"}
	}
	*f = Float64(v)
	return nil
}

func isRangeErr(err error) bool {
	return errors.Is(err, strconv.ErrRange)
}
