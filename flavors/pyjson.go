package flavors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/berthml/berth/internal/pyvalue"
)

// decodeOrdered decodes exactly one JSON value as Python's json.loads does
// (pyvalue.Decode: objects as pyvalue.Dicts with their keys in order), and
// refuses a number too large for a float, which Python would read as inf
// and no MLflow signature or parameter means.
func decodeOrdered(data []byte) (any, error) {
	v, err := pyvalue.Decode(data)
	if err != nil {
		return nil, err
	}
	if err := checkNumbers(v); err != nil {
		return nil, err
	}
	return v, nil
}

// checkNumbers refuses a JSON number in v that overflows a float64.
func checkNumbers(v any) error {
	switch t := v.(type) {
	case json.Number:
		if strings.ContainsAny(string(t), ".eE") {
			if _, err := strconv.ParseFloat(string(t), 64); err != nil {
				return fmt.Errorf("number %s is out of range", t)
			}
		}
	case []any:
		for _, e := range t {
			if err := checkNumbers(e); err != nil {
				return err
			}
		}
	case pyvalue.Dict:
		for _, it := range t {
			if err := checkNumbers(it.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// get is obj[key], nil when obj has no such key.
func get(obj pyvalue.Dict, key string) any {
	v, _ := obj.Get(key)
	return v
}

// pyJSON writes v as Python's json.dumps does with its default separators
// (", " and ": ") and ensure_ascii. v is a value from decodeOrdered or a
// plain Go value (numbers, strings, bools, nil, slices, maps with string
// keys, whose keys are written sorted); a float32 is written as numpy
// writes one. NaN and infinities are errors: they are not JSON.
func pyJSON(buf *bytes.Buffer, v any) error {
	pv, err := pyValue(reflect.ValueOf(v))
	if err != nil {
		return err
	}
	buf.WriteString(pyvalue.Dumps(pv, -1))
	return nil
}

// pyValue converts a plain Go value (or a decoded one) into pyvalue's
// value model.
func pyValue(v reflect.Value) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	switch t := v.Interface().(type) {
	case pyvalue.Dict:
		out := make(pyvalue.Dict, len(t))
		for i, it := range t {
			e, err := pyValue(reflect.ValueOf(it.Value))
			if err != nil {
				return nil, err
			}
			out[i] = pyvalue.Item{Key: it.Key, Value: e}
		}
		return out, nil
	case json.Number:
		if strings.ContainsAny(string(t), ".eE") {
			if _, err := strconv.ParseFloat(string(t), 64); err != nil {
				return nil, fmt.Errorf("number %s is out of range", t)
			}
		}
		return t, nil
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return pyValue(v.Elem())
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return json.Number(strconv.FormatUint(v.Uint(), 10)), nil
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%v is not valid JSON", f)
		}
		if v.Kind() == reflect.Float32 {
			return float32(f), nil
		}
		return f, nil
	case reflect.String:
		return v.String(), nil
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, nil
		}
		out := make([]any, v.Len())
		for i := range v.Len() {
			e, err := pyValue(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("cannot write a map with %s keys as JSON", v.Type().Key())
		}
		if v.IsNil() {
			return nil, nil
		}
		keys := make([]string, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			keys = append(keys, it.Key().String())
		}
		slices.Sort(keys)
		out := make(pyvalue.Dict, 0, len(keys))
		for _, k := range keys {
			e, err := pyValue(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())))
			if err != nil {
				return nil, err
			}
			out = append(out, pyvalue.Item{Key: k, Value: e})
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot write a %s as JSON", v.Type())
}

// plainJSON converts a value from decodeOrdered to plain Go values: objects
// become map[string]any and numbers int64 when integral (json.Number when
// too large for int64), else float64.
func plainJSON(v any) any {
	switch t := v.(type) {
	case pyvalue.Dict:
		m := make(map[string]any, len(t))
		for _, it := range t {
			m[it.Key] = plainJSON(it.Value)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plainJSON(e)
		}
		return out
	case json.Number:
		if !strings.ContainsAny(string(t), ".eE") {
			if i, err := t.Int64(); err == nil {
				return i
			}
			return t
		}
		f, _ := t.Float64()
		return f
	}
	return v
}
