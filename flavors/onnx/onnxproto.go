package onnx

import (
	"errors"
	"fmt"
	"os"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/berthml/berth/internal/protofields"
)

// This file reads just enough of an ONNX model file (a protobuf
// ModelProto) to learn the symbolic names of its inputs' and outputs'
// dimensions (dim_param), which ONNX Runtime's C API reports only as -1.
// berth needs them for one case: onnxruntime_go v1.27.0 cannot take a
// float16 or bfloat16 output from the runtime (it copies half of its bytes
// and fails), so such outputs are preallocated, and an output dimension
// named like an input dimension ("batch") takes that input's size.

// dimNames maps each graph input and output name to the dim_param of each
// of its dimensions ("" where the dimension is fixed or unnamed).
type dimNames map[string][]string

// readDimNames parses the graph inputs and outputs of the model file.
func readDimNames(path string) (inputs, outputs dimNames, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if inputs, outputs, err = parseDimNames(b); err != nil {
		return nil, nil, fmt.Errorf("reading ONNX graph of %s: %w", path, err)
	}
	return inputs, outputs, nil
}

// parseDimNames reads the graph inputs and outputs of a ModelProto.
func parseDimNames(b []byte) (inputs, outputs dimNames, err error) {
	inputs, outputs = dimNames{}, dimNames{}
	err = protofields.Walk(b, func(num protowire.Number, v []byte) error {
		if num != 7 { // ModelProto.graph
			return nil
		}
		return protofields.Walk(v, func(num protowire.Number, v []byte) error {
			switch num {
			case 11: // GraphProto.input
				return valueInfo(v, inputs)
			case 12: // GraphProto.output
				return valueInfo(v, outputs)
			}
			return nil
		})
	})
	if err != nil {
		return nil, nil, err
	}
	return inputs, outputs, nil
}

// valueInfo reads a ValueInfoProto's name and tensor dimension names.
func valueInfo(b []byte, into dimNames) error {
	var name string
	var dims []string
	err := protofields.Walk(b, func(num protowire.Number, v []byte) error {
		switch num {
		case 1: // name
			name = string(v)
		case 2: // type: TypeProto
			return protofields.Walk(v, func(num protowire.Number, v []byte) error {
				if num != 1 { // tensor_type
					return nil
				}
				return protofields.Walk(v, func(num protowire.Number, v []byte) error {
					if num != 2 { // shape: TensorShapeProto
						return nil
					}
					dims = []string{}
					return protofields.Walk(v, func(num protowire.Number, v []byte) error {
						if num != 1 { // dim
							return nil
						}
						param := ""
						err := protofields.Walk(v, func(num protowire.Number, v []byte) error {
							if num == 2 { // dim_param
								param = string(v)
							}
							return nil
						})
						dims = append(dims, param)
						return err
					})
				})
			})
		}
		return nil
	})
	into[name] = dims
	return err
}

// dimSource says where one dimension of a preallocated output comes from:
// a fixed size, or dimension dim of input input.
type dimSource struct {
	fixed      int64
	input, dim int // input < 0: fixed
}

// shapeRecipe works out, for an output with dynamic dimensions, which input
// dimension gives each of them, by their symbolic names.
func shapeRecipe(out []int64, outNames []string, inNames [][]string) ([]dimSource, error) {
	if len(outNames) != len(out) {
		return nil, errors.New("the model file gives it no shape")
	}
	recipe := make([]dimSource, len(out))
	for i, d := range out {
		if d >= 0 {
			recipe[i] = dimSource{fixed: d, input: -1}
			continue
		}
		found := false
		if p := outNames[i]; p != "" {
		search:
			for in, names := range inNames {
				for j, q := range names {
					if q == p {
						recipe[i] = dimSource{input: in, dim: j}
						found = true
						break search
					}
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("dimension %d (%q) is not named like any input dimension", i, outNames[i])
		}
	}
	return recipe, nil
}
