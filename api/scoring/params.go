package scoring

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/berthml/berth/flavors"
)

// paramSpec is a signature's inference parameter, with its default
// converted once.
type paramSpec struct {
	name   string
	typ    string
	list   bool // a shaped (1-D) parameter
	def    any
	hasDef bool
}

func newParamSpecs(specs []flavors.ParamSpec) ([]paramSpec, error) {
	out := make([]paramSpec, 0, len(specs))
	for _, s := range specs {
		p := paramSpec{name: s.Name, typ: s.Type, list: len(s.Shape) > 0}
		if s.Default != nil {
			raw, err := json.Marshal(s.Default)
			if err != nil {
				return nil, fmt.Errorf("param %q: encoding its default: %w", s.Name, err)
			}
			var d doc
			if jerr := parseJSON(&d, string(raw), allDense); jerr != nil {
				return nil, fmt.Errorf("param %q: reading its default: %s", s.Name, jerr.msg)
			}
			v, why := p.convert(&d, 0)
			if why != "" {
				return nil, fmt.Errorf("param %q: default %s does not fit type %s: %s", s.Name, raw, s.Type, why)
			}
			p.def, p.hasDef = v, true
		}
		out = append(out, p)
	}
	return out, nil
}

// decodeParams reads the request's params (node v, -1 when absent). Without
// a params schema they are ignored, whatever they are, as in MLflow.
func (dec *Decoder) decodeParams(d *doc, v int32) (map[string]any, error) {
	if len(dec.params) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(dec.params))
	for _, p := range dec.params {
		if p.hasDef {
			out[p.name] = p.def
		}
	}
	if v < 0 || d.nodes[v].kind == kindNull {
		return out, nil
	}
	if d.nodes[v].kind != kindObject {
		return nil, invalidParam("params must be a JSON object of parameter names to values; got %s", kindName(d, v))
	}
	for k := d.first(v); k >= 0; {
		val := d.nodes[k].next
		name := d.text(k)
		for i := range dec.params {
			p := &dec.params[i]
			if p.name != name {
				continue
			}
			x, why := p.convert(d, val)
			if why != "" {
				return nil, invalidParam("Invalid value for param '%s': expected %s, %s", name, p.describe(), why)
			}
			out[p.name] = x // the spec's name: the body's may be reused
		}
		k = d.nodes[val].next
	}
	return out, nil
}

func (p *paramSpec) describe() string {
	if p.list {
		return "a list of " + p.typ
	}
	return "a " + p.typ
}

// convert reads node v as the parameter's type.
func (p *paramSpec) convert(d *doc, v int32) (any, string) {
	if !p.list {
		return p.scalar(d, v)
	}
	if d.nodes[v].kind != kindArray {
		return nil, "got " + kindName(d, v)
	}
	var out []any
	for e := d.first(v); e >= 0; e = d.nodes[e].next {
		x, why := p.scalar(d, e)
		if why != "" {
			return nil, why + fmt.Sprintf(" (item %d)", len(out))
		}
		out = append(out, x)
	}
	return typedList(p.typ, out), ""
}

func (p *paramSpec) scalar(d *doc, v int32) (any, string) {
	n := &d.nodes[v]
	got := "got " + kindName(d, v)
	switch p.typ {
	case "string", "datetime", "binary", "bytes":
		if n.kind != kindString {
			return nil, got
		}
		return d.text(v), ""
	case "boolean", "bool":
		if n.kind != kindTrue && n.kind != kindFalse {
			return nil, got
		}
		return n.kind == kindTrue, ""
	case "double", "float":
		if n.kind != kindNumber {
			return nil, got
		}
		f, _ := parseFloat(d.raw(v))
		if p.typ == "float" {
			return float32(f), ""
		}
		return f, ""
	case "integer", "long":
		if n.kind != kindNumber {
			return nil, got
		}
		t := elemType{kind: ekInt, dtype: flavors.Int64, min: math.MinInt64, max: math.MaxInt64}
		if p.typ == "integer" {
			t = elemType{kind: ekInt, dtype: flavors.Int32, min: math.MinInt32, max: math.MaxInt32}
		}
		x, why := readInt(d, v, t)
		if why != "" {
			return nil, why
		}
		if p.typ == "integer" {
			return int32(x), ""
		}
		return x, ""
	}
	// A type berth does not know: pass the JSON value through.
	if n.kind == kindString {
		return d.text(v), ""
	}
	var x any
	span := d.src[n.start:n.end]
	if err := json.Unmarshal([]byte(span), &x); err != nil {
		return nil, got
	}
	return x, ""
}

func typedList(typ string, xs []any) any {
	switch typ {
	case "string", "datetime", "binary", "bytes":
		return listOf[string](xs)
	case "boolean", "bool":
		return listOf[bool](xs)
	case "double":
		return listOf[float64](xs)
	case "float":
		return listOf[float32](xs)
	case "integer":
		return listOf[int32](xs)
	case "long":
		return listOf[int64](xs)
	}
	return xs
}

func listOf[T any](xs []any) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = x.(T)
	}
	return out
}
