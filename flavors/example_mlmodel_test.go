package flavors_test

import (
	"fmt"

	"github.com/berthml/berth/flavors"
)

func ExampleParseMLmodel() {
	m, err := flavors.ParseMLmodel([]byte(`flavors:
  onnx:
    data: model.onnx
    onnx_version: 1.12.0
mlflow_version: 2.17.2
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]'
  outputs: '[{"name": "label", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Flavors["onnx"]["data"])
	in := m.Signature.Inputs.Tensors[0]
	fmt.Println(in.DType, in.Shape)
	fmt.Println(m.Signature.OutputNames())

	_, err = flavors.ParseMLmodel([]byte("model_size_bytes: abc\n"))
	fmt.Println(err)
	// Output:
	// model.onnx
	// float32 [-1 4]
	// [label]
	// parsing MLmodel: model_size_bytes: is "abc", want a whole number of bytes
}
