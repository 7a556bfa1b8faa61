package scoring_test

import (
	"fmt"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
)

func Example() {
	dec, err := scoring.NewDecoder(scoring.ModelSpec{
		Signature: &flavors.Signature{Inputs: &flavors.Schema{Columns: []flavors.ColSpec{
			{Name: "x", Type: flavors.ColDouble, Required: true},
			{Name: "y", Type: flavors.ColDouble, Required: true},
		}}},
		Inputs: []flavors.TensorInfo{{Name: "float_input", DType: flavors.Float32, Shape: []int64{-1, 2}}},
	})
	if err != nil {
		panic(err)
	}
	format, err := scoring.ParseContentType("application/json")
	if err != nil {
		panic(err) // a *scoring.MediaTypeError: answer 415
	}
	req, err := dec.Decode(format, []byte(`{"dataframe_records": [{"y": 2, "x": 1}, {"x": "3", "y": 4.5}]}`))
	if err != nil {
		panic(err) // a *scoring.Error: answer 400 with its code
	}
	in := req.Inputs[0]
	fmt.Println(in.Name, in.DType, in.Shape, in.Data)

	out, _ := dec.Encode([]*flavors.Tensor{{Name: "label", DType: flavors.Int64, Shape: []int64{2}, Data: []int64{0, 1}}}, req)
	fmt.Println(string(out))
	// Output:
	// float_input float32 [2 2] [1 2 3 4.5]
	// {"predictions":[0,1]}
}
