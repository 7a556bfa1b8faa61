package search_test

import (
	"fmt"

	"github.com/berthml/berth/tracking/search"
)

func ExampleParseLoggedModelFilter() {
	f, err := search.ParseLoggedModelFilter("tags.stage = 'dev' AND params.penalty = 'l2' AND metrics.acc > 0.5")
	if err != nil {
		panic(err)
	}
	for _, c := range f.Comparisons {
		fmt.Printf("%s %q %s %v\n", c.Kind, c.Key, c.Op, c.Value)
	}

	_, err = search.ParseLoggedModelFilter("foo.bar = 'x'")
	fmt.Println(err)
	// Output:
	// tag "stage" = dev
	// param "penalty" = l2
	// metric "acc" > 0.5
	// INVALID_PARAMETER_VALUE: Invalid entity type: 'foo'. Expected one of ['attributes', 'metrics', 'params', 'tags'].
}
