package flavors

import (
	"bytes"
	"fmt"

	"github.com/berthml/berth/internal/pyvalue"
)

// ParseParams parses the params of an MLmodel signature: a JSON list of
// {"name", "type", "default", "shape"} objects as MLflow writes them. The
// JSON text null and an empty list both give nil. A default's numbers are
// int64 when written without a fraction or exponent, float64 otherwise.
func ParseParams(data []byte) ([]ParamSpec, error) {
	return parseParams(data, "")
}

// MarshalParams writes params as MLflow does (Python's json.dumps
// spacing); nil or empty params give the JSON text null.
func MarshalParams(params []ParamSpec) ([]byte, error) {
	if len(params) == 0 {
		return []byte("null"), nil
	}
	list := make([]any, 0, len(params))
	for i, p := range params {
		if p.Name == "" || p.Type == "" {
			return nil, fmt.Errorf("writing params: param %d needs a name and a type", i)
		}
		obj := pyvalue.Dict{}
		obj.Set("name", p.Name)
		obj.Set("type", p.Type)
		obj.Set("default", p.Default)
		if p.Shape == nil {
			obj.Set("shape", nil)
		} else {
			obj.Set("shape", p.Shape)
		}
		list = append(list, obj)
	}
	var buf bytes.Buffer
	if err := pyJSON(&buf, list); err != nil {
		return nil, fmt.Errorf("writing params: %w", err)
	}
	return buf.Bytes(), nil
}

func parseParams(data []byte, path string) ([]ParamSpec, error) {
	v, err := decodeOrdered(data)
	if err != nil {
		return nil, fieldErr(path, "invalid params JSON: %v", err)
	}
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fieldErr(path, "params JSON is %s, want a list of param specs", jsonKind(v))
	}
	var params []ParamSpec
	for i, e := range list {
		at := fmt.Sprintf("%s[%d]", path, i)
		obj, ok := e.(pyvalue.Dict)
		if !ok {
			return nil, fieldErr(at, "param spec is %s, want an object", jsonKind(e))
		}
		name, err := jsonString(obj, "name", at, true)
		if err != nil {
			return nil, err
		}
		typ, err := jsonString(obj, "type", at, true)
		if err != nil {
			return nil, err
		}
		if name == "" || typ == "" {
			return nil, fieldErr(at, "param spec needs a non-empty name and type")
		}
		shape, err := parseShape(get(obj, "shape"), at+".shape")
		if err != nil {
			return nil, err
		}
		params = append(params, ParamSpec{Name: name, Type: typ, Default: plainJSON(get(obj, "default")), Shape: shape})
	}
	return params, nil
}
