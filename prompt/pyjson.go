package prompt

import "github.com/berthml/berth/internal/pyvalue"

// This file writes values as Python writes them (internal/pyvalue):
// json.dumps with its defaults and str() of a value decoded from JSON
// (MLflow stringifies model parameters with str()).

// ordered is a JSON object with its keys in order.
type ordered []kv

// Len is the number of keys (ordered is a pyvalue.Mapping).
func (o ordered) Len() int { return len(o) }

// Entry is the i-th key and its value.
func (o ordered) Entry(i int) (string, any) { return o[i].k, o[i].v }

// pyJSON writes v as Python's json.dumps(v, indent=indent) does (indent <
// 0 for none). v holds nil, bool, string, json.Number, float64, int,
// []any, []string, ordered and pyvalue.Dict.
func pyJSON(v any, indent int) string { return pyvalue.Dumps(v, indent) }

// decodeOrdered decodes JSON keeping object keys in order, as Python's
// dicts do. A repeated key keeps its first place and its last value.
func decodeOrdered(raw []byte) (any, error) { return pyvalue.Decode(raw) }

// PyStr is Python's str() of the JSON value raw: MLflow stringifies model
// parameters that way ("0.5", "64", "['END']").
func PyStr(raw []byte) (string, error) {
	v, err := pyvalue.Decode(raw)
	if err != nil {
		return "", err
	}
	return pyvalue.Str(v), nil
}
