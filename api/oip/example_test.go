package oip_test

import (
	"fmt"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
)

func ExampleDecodeInferRequest() {
	model := []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 2}}}
	body := `{"id":"42","inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]}]}`
	req, err := oip.DecodeInferRequest([]byte(body), "", model)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.ID, req.Inputs[0].Shape, req.Inputs[0].Data)

	_, err = oip.DecodeInferRequest([]byte(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1,2]}]}`), "", model)
	fmt.Println(err)
	// Output:
	// 42 [2 2] [1 2 3 4]
	// input "x": datatype FP64 does not match the model's FP32
}

func ExampleEncodeInferResponse() {
	out := &flavors.Tensor{Name: "y", DType: flavors.Float32, Shape: []int64{2, 1}, Data: []float32{0.25, 1}}
	body, headerLen, _ := oip.EncodeInferResponse("mymodel", "", "42", []*flavors.Tensor{out}, nil)
	fmt.Println(string(body), headerLen)
	// Output:
	// {"model_name":"mymodel","id":"42","outputs":[{"name":"y","shape":[2,1],"datatype":"FP32","data":[0.25,1.0]}]} -1
}

func ExampleEncodeV1Predict() {
	label := &flavors.Tensor{Name: "label", DType: flavors.Int64, Shape: []int64{2}, Data: []int64{1, 0}}
	body, _ := oip.EncodeV1Predict([]*flavors.Tensor{label})
	fmt.Println(string(body))
	// Output:
	// {"predictions":[1,0]}
}
