package tracing_test

import (
	"fmt"

	"github.com/berthml/berth/tracing"
)

func ExampleParseFilter() {
	conds, err := tracing.ParseFilter("trace.status = 'OK' AND tags.`mlflow.traceName` LIKE 'pipe%' AND trace.execution_time_ms > 100")
	if err != nil {
		panic(err)
	}
	for _, c := range conds {
		fmt.Println(c.Entity, c.Key, c.Op, c.Value, c.Number)
	}
	_, err = tracing.ParseFilter("foo.bar = 1")
	fmt.Println(err)
	// Output:
	// attribute status = OK 0
	// tag mlflow.traceName LIKE pipe% 0
	// attribute execution_time_ms >  100
	// INVALID_PARAMETER_VALUE: Invalid entity type 'foo'. Valid values are {'attributes', 'span', 'attribute', 'trace', 'request_metadata', 'tag', 'tags', 'feedback', 'metadata', 'expectation'}
}

func ExampleParseOrderBy() {
	order, _ := tracing.ParseOrderBy([]string{"attribute.execution_time_ms DESC", "name"})
	fmt.Printf("%+v\n", order)
	// Output:
	// [{Key:execution_time_ms Ascending:false} {Key:name Ascending:true}]
}
