package drift_test

import (
	"fmt"

	"github.com/berthml/berth/drift"
)

func ExamplePSI() {
	// bin counts of the reference and of the current window, over the
	// same bins
	reference := []int64{10, 20, 40, 20, 10}
	current := []int64{5, 15, 40, 25, 15}
	fmt.Printf("PSI = %.4f\n", drift.PSI(reference, current))
	fmt.Printf("empty bin: PSI = %.4f\n", drift.PSI([]int64{50, 50, 0}, []int64{45, 45, 10}))
	// Output:
	// PSI = 0.0805
	// empty bin: PSI = 0.7006
}
