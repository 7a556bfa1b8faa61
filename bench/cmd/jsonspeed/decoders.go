package main

import (
	"encoding/json"
	"fmt"
	"math"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/tidwall/gjson"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
)

// decoder is one way to read a body's numbers; prepare returns a function
// that decodes the body once. The first is berth's, the last the floor.
type decoder struct {
	name    string
	prepare func(b *body) (func() error, error)
}

func decoders() []decoder {
	return []decoder{
		{"berth", berth},
		{"encoding/json", func(b *body) (func() error, error) {
			return func() error { return json.Unmarshal(b.next(), target(b)) }, nil
		}},
		{"json/v2", func(b *body) (func() error, error) {
			return func() error { return jsonv2.Unmarshal(b.next(), target(b)) }, nil
		}},
		{"gjson", func(b *body) (func() error, error) {
			out := make([]float32, 0, b.n)
			return func() error {
				v := b.next()
				if !gjson.ValidBytes(v) {
					return fmt.Errorf("invalid JSON")
				}
				out = appendNumbers(out[:0], gjson.GetBytes(v, gjsonPath(b)))
				if len(out) != b.n {
					return fmt.Errorf("gjson read %d numbers, want %d", len(out), b.n)
				}
				return nil
			}, nil
		}},
		{"scan floor", func(b *body) (func() error, error) {
			return func() error {
				if floor(b.next()) == 0 {
					return fmt.Errorf("no structure")
				}
				return nil
			}, nil
		}},
	}
}

// berth decodes the body into the model's float32 tensor as berth serve
// does: api/scoring for MLflow's shapes, api/oip for OIP v2 JSON.
func berth(b *body) (func() error, error) {
	if b.shape == "oip" {
		model := []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: b.spec}}
		return func() error {
			_, err := oip.DecodeInferRequest(b.next(), "", model)
			return err
		}, nil
	}
	dec, err := scoring.NewDecoder(modelSpec(b))
	if err != nil {
		return nil, err
	}
	return func() error {
		_, err := dec.Decode(scoring.FormatJSON, b.next())
		return err
	}, nil
}

func modelSpec(b *body) scoring.ModelSpec {
	sig := &flavors.Schema{Tensors: tensorSpec(b.spec)}
	if b.columns != nil {
		sig = &flavors.Schema{}
		for _, c := range b.columns {
			sig.Columns = append(sig.Columns, flavors.ColSpec{Name: c, Type: flavors.ColDouble, Required: true})
		}
	}
	return scoring.ModelSpec{
		Signature: &flavors.Signature{Inputs: sig},
		Inputs:    []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: b.spec}},
	}
}

// berthTensor decodes v, one of b's bodies, and returns the tensor's values.
func berthTensor(b *body, v []byte) ([]float32, error) {
	if b.shape == "oip" {
		model := []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: b.spec}}
		req, err := oip.DecodeInferRequest(v, "", model)
		if err != nil {
			return nil, err
		}
		return req.Inputs[0].Data.([]float32), nil
	}
	req, err := scoring.Decode(scoring.FormatJSON, v, modelSpec(b))
	if err != nil {
		return nil, err
	}
	return req.Inputs[0].Data.([]float32), nil
}

// check compares berth's tensor with float32 of encoding/json's float64
// values, bit for bit, for each of b's bodies.
func check(b *body) error {
	for i, v := range b.all() {
		if err := checkOne(b, v); err != nil {
			return fmt.Errorf("body %d of %d: %w", i+1, len(b.all()), err)
		}
	}
	return nil
}

func checkOne(b *body, v []byte) error {
	got, err := berthTensor(b, v)
	if err != nil {
		return err
	}
	var want []float32
	want = appendNumbers(want, gjson.GetBytes(v, gjsonPath(b)))
	var ref any
	if err := json.Unmarshal(v, &ref); err != nil {
		return err
	}
	if len(got) != b.n || len(want) != b.n {
		return fmt.Errorf("berth read %d numbers, the reference %d, want %d", len(got), len(want), b.n)
	}
	std := flatten(nil, pick(ref, b))
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(float32(std[i])) {
			return fmt.Errorf("element %d: berth %v, float32(encoding/json) %v", i, got[i], float32(std[i]))
		}
	}
	return nil
}

func pick(v any, b *body) any {
	m := v.(map[string]any)
	switch b.shape {
	case "instances":
		return m["instances"]
	case "dataframe_split":
		return m["dataframe_split"].(map[string]any)["data"]
	case "oip":
		return m["inputs"].([]any)[0].(map[string]any)["data"]
	}
	return m["inputs"]
}

func flatten(out []float64, v any) []float64 {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			out = flatten(out, e)
		}
	case float64:
		out = append(out, v)
	}
	return out
}

func gjsonPath(b *body) string {
	switch b.shape {
	case "instances":
		return "instances"
	case "dataframe_split":
		return "dataframe_split.data"
	case "oip":
		return "inputs.0.data"
	}
	return "inputs"
}

func appendNumbers(out []float32, r gjson.Result) []float32 {
	if r.IsArray() {
		r.ForEach(func(_, v gjson.Result) bool {
			out = appendNumbers(out, v)
			return true
		})
		return out
	}
	return append(out, float32(r.Float()))
}

// target is a typed destination for encoding/json and json/v2: nested
// []float64, their fastest way to read these bodies.
func target(b *body) any {
	switch {
	case b.shape == "instances":
		return &struct {
			Instances [][][][]float64 `json:"instances"`
		}{}
	case b.shape == "dataframe_split":
		return &struct {
			Split struct {
				Columns []string    `json:"columns"`
				Data    [][]float64 `json:"data"`
			} `json:"dataframe_split"`
		}{}
	case b.shape == "oip":
		return &struct {
			Inputs []struct {
				Name     string          `json:"name"`
				Shape    []int64         `json:"shape"`
				Datatype string          `json:"datatype"`
				Data     [][][][]float64 `json:"data"`
			} `json:"inputs"`
		}{}
	case len(b.spec) == 2:
		return &struct {
			Inputs [][]float64 `json:"inputs"`
		}{}
	}
	return &struct {
		Inputs [][][][]float64 `json:"inputs"`
	}{}
}

// class marks the bytes a JSON tokenizer must stop at.
var class = func() (t [256]uint8) {
	for _, c := range []byte("{}[],:\"") {
		t[c] = 1
	}
	return t
}()

// floor touches every byte once with one table look-up and no
// conversion: no decoder that reads bytes one at a time can beat it.
func floor(b []byte) int {
	n := 0
	for _, c := range b {
		n += int(class[c])
	}
	return n
}
