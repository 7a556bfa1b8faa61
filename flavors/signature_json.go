package flavors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/berthml/berth/internal/pyvalue"
)

// ParseSchema parses a schema as MLflow writes it in an MLmodel signature:
// a JSON list of column specs ({"type": "double", "name": "x", "required":
// true}) or of tensor specs ({"type": "tensor", "tensor-spec": {"dtype":
// "float32", "shape": [-1, 4]}}), never both. The JSON text null gives a
// nil schema. Errors are *FieldError values naming the entry at fault.
func ParseSchema(data []byte) (*Schema, error) {
	return parseSchema(data, "")
}

// MarshalJSON writes s as MLflow does (Python's json.dumps spacing), so
// that the text can go back into an MLmodel file unchanged.
func (s *Schema) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	var buf bytes.Buffer
	if err := s.writeJSON(&buf); err != nil {
		return nil, fmt.Errorf("writing schema: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalJSON reads s as ParseSchema does.
func (s *Schema) UnmarshalJSON(data []byte) error {
	p, err := ParseSchema(data)
	if err != nil {
		return err
	}
	if p == nil {
		p = &Schema{}
	}
	*s = *p
	return nil
}

// Names lists the names of s's columns or tensors in order, with "" for
// unnamed entries; nil for a nil schema.
func (s *Schema) Names() []string {
	if s == nil {
		return nil
	}
	names := make([]string, 0, len(s.Columns)+len(s.Tensors))
	for _, c := range s.Columns {
		names = append(names, c.Name)
	}
	for _, t := range s.Tensors {
		names = append(names, t.Name)
	}
	return names
}

// InputNames lists the names of the signature's inputs; see Schema.Names.
func (s *Signature) InputNames() []string {
	if s == nil {
		return nil
	}
	return s.Inputs.Names()
}

// OutputNames lists the names of the signature's outputs; see Schema.Names.
func (s *Signature) OutputNames() []string {
	if s == nil {
		return nil
	}
	return s.Outputs.Names()
}

func parseSchema(data []byte, path string) (*Schema, error) {
	v, err := decodeOrdered(data)
	if err != nil {
		return nil, fieldErr(path, "invalid schema JSON: %v", err)
	}
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fieldErr(path, "schema JSON is %s, want a list of column or tensor specs", jsonKind(v))
	}
	if len(list) == 0 {
		return nil, fieldErr(path, "schema is empty")
	}
	s := &Schema{}
	for i, e := range list {
		at := fmt.Sprintf("%s[%d]", path, i)
		obj, ok := e.(pyvalue.Dict)
		if !ok {
			return nil, fieldErr(at, "spec is %s, want an object", jsonKind(e))
		}
		typ, err := jsonString(obj, "type", at, true)
		if err != nil {
			return nil, err
		}
		if typ == "tensor" {
			t, err := parseTensorSpec(obj, at)
			if err != nil {
				return nil, err
			}
			s.Tensors = append(s.Tensors, t)
		} else {
			c, err := parseColSpec(obj, typ, at)
			if err != nil {
				return nil, err
			}
			s.Columns = append(s.Columns, c)
		}
		if len(s.Columns) > 0 && len(s.Tensors) > 0 {
			return nil, fieldErr(at, "schema mixes column and tensor specs")
		}
	}
	return s, nil
}

func parseColSpec(obj pyvalue.Dict, typ, at string) (ColSpec, error) {
	if typ == "" {
		return ColSpec{}, fieldErr(at+".type", "column type is empty")
	}
	name, err := jsonString(obj, "name", at, false)
	if err != nil {
		return ColSpec{}, err
	}
	c := ColSpec{Name: name, Type: ColType(typ), Required: true}
	switch r := get(obj, "required").(type) {
	case nil:
	case bool:
		c.Required = r
	default:
		return ColSpec{}, fieldErr(at+".required", "%s, want true or false", jsonKind(r))
	}
	c.Raw = obj2bytes(colSpecObject(c, obj))
	return c, nil
}

// colSpecObject lays out a column spec as MLflow's ColSpec.to_dict does:
// the type and whatever goes with it (array items, object properties, or
// fields berth does not know), then name and required.
func colSpecObject(c ColSpec, raw pyvalue.Dict) pyvalue.Dict {
	out := pyvalue.Dict{}
	out.Set("type", string(c.Type))
	if raw != nil {
		for _, it := range raw {
			if it.Key != "type" && it.Key != "name" && it.Key != "required" {
				out.Set(it.Key, it.Value)
			}
		}
	}
	if c.Name != "" {
		out.Set("name", c.Name)
	}
	out.Set("required", c.Required)
	return out
}

func parseTensorSpec(obj pyvalue.Dict, at string) (TensorSpec, error) {
	name, err := jsonString(obj, "name", at, false)
	if err != nil {
		return TensorSpec{}, err
	}
	at += ".tensor-spec"
	spec, ok := get(obj, "tensor-spec").(pyvalue.Dict)
	if !ok {
		return TensorSpec{}, fieldErr(at, "is %s, want an object with dtype and shape", jsonKind(get(obj, "tensor-spec")))
	}
	dt, err := jsonString(spec, "dtype", at, true)
	if err != nil {
		return TensorSpec{}, err
	}
	dtype, err := ParseNumpyDType(dt)
	if err != nil {
		return TensorSpec{}, fieldErr(at+".dtype", "%v", err)
	}
	if _, ok := spec.Get("shape"); !ok {
		return TensorSpec{}, fieldErr(at+".shape", "missing")
	}
	shape, err := parseShape(get(spec, "shape"), at+".shape")
	if err != nil {
		return TensorSpec{}, err
	}
	if shape == nil {
		return TensorSpec{}, fieldErr(at+".shape", "is null, want a list of dimensions")
	}
	return TensorSpec{Name: name, DType: dtype, Shape: shape}, nil
}

// parseShape reads a JSON list of dimensions, each -1 (dynamic) or ≥ 0.
// null gives nil.
func parseShape(v any, at string) ([]int64, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fieldErr(at, "is %s, want a list of dimensions", jsonKind(v))
	}
	shape := make([]int64, len(list))
	for i, e := range list {
		n, ok := e.(json.Number)
		var d int64
		var err error
		if ok {
			d, err = strconv.ParseInt(string(n), 10, 64)
		}
		if !ok || err != nil {
			return nil, fieldErr(fmt.Sprintf("%s[%d]", at, i), "dimension is %s, want an integer", jsonKind(e))
		}
		if d < -1 {
			return nil, fieldErr(fmt.Sprintf("%s[%d]", at, i), "dimension %d, want -1 (any size) or a size ≥ 0", d)
		}
		shape[i] = d
	}
	return shape, nil
}

func (s *Schema) writeJSON(buf *bytes.Buffer) error {
	if len(s.Columns) > 0 && len(s.Tensors) > 0 {
		return fmt.Errorf("schema mixes column and tensor specs")
	}
	list := make([]any, 0, len(s.Columns)+len(s.Tensors))
	for _, c := range s.Columns {
		var raw pyvalue.Dict
		if len(c.Raw) > 0 {
			raw, _ = decodeOrderedObject(c.Raw)
		}
		list = append(list, colSpecObject(c, raw))
	}
	for _, t := range s.Tensors {
		obj := pyvalue.Dict{}
		if t.Name != "" {
			obj.Set("name", t.Name)
		}
		obj.Set("type", "tensor")
		shape := t.Shape
		if shape == nil {
			shape = []int64{}
		}
		spec := pyvalue.Dict{}
		spec.Set("dtype", NumpyDType(t.DType))
		spec.Set("shape", shape)
		obj.Set("tensor-spec", spec)
		list = append(list, obj)
	}
	return pyJSON(buf, list)
}

// jsonString reads the string field key of obj; null or absent gives "",
// or an error when required.
func jsonString(obj pyvalue.Dict, key, at string, required bool) (string, error) {
	switch v := get(obj, key).(type) {
	case string:
		return v, nil
	case nil:
		if required {
			return "", fieldErr(at+"."+key, "missing")
		}
		return "", nil
	default:
		return "", fieldErr(at+"."+key, "is %s, want a string", jsonKind(v))
	}
}

func decodeOrderedObject(data []byte) (pyvalue.Dict, error) {
	v, err := decodeOrdered(data)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(pyvalue.Dict)
	if !ok {
		return nil, fmt.Errorf("JSON is %s, want an object", jsonKind(v))
	}
	return obj, nil
}

func obj2bytes(v any) []byte {
	var buf bytes.Buffer
	_ = pyJSON(&buf, v) // values from decodeOrdered always write
	return buf.Bytes()
}

// jsonKind describes a decoded JSON value for error messages.
func jsonKind(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case pyvalue.Dict:
		return "an object"
	case []any:
		return "a list"
	case string:
		return strconv.Quote(t)
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return string(t)
	}
	return fmt.Sprintf("%T", v)
}
