package drift_test

import (
	"fmt"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// The features of a model logged from numpy arrays (one unnamed tensor
// input, float64 [-1, 3]) named by a CSV header less its target, and of a
// CNN's image input (float32 [-1, 3, 64, 64]) summarised per channel.
func ExampleTensorColumns() {
	sig := &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.Float64, Shape: []int64{-1, 3}}}}
	ins, _ := drift.TensorInputs(sig, nil)
	cols, notes, _ := drift.TensorColumns(ins, drift.DataHead{Header: []string{"age", "bmi", "bp", "target"}}, []string{"target"})
	for _, c := range cols {
		fmt.Println(c.Name, "<- column", c.Source.Column, "of", c.Source.Tensor)
	}
	fmt.Println(notes)

	img := drift.TensorInput{Name: "input", Label: "input", DType: flavors.Float32, Shape: []int64{-1, 3, 64, 64}}
	cols, _, _ = drift.TensorColumns([]drift.TensorInput{img}, drift.DataHead{}, nil)
	fmt.Println(len(cols), "features:", cols[0].Name, cols[1].Name, "…", cols[14].Name)
	// Output:
	// age <- column 0 of input
	// bmi <- column 1 of input
	// bp <- column 2 of input
	// [leaving out "target" (--target)]
	// 15 features: input.c0.mean input.c0.std … input.c2.zeros
}
