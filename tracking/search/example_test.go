package search_test

import (
	"fmt"

	"github.com/berthml/berth/tracking/search"
)

func ExampleParseRunFilter() {
	f, err := search.ParseRunFilter("metrics.acc > 0.5 and params.lr = '0.1' and tags.`mlflow.runName` LIKE 'conf-%'")
	if err != nil {
		panic(err)
	}
	for _, c := range f.Comparisons {
		fmt.Printf("%s %q %s %v\n", c.Kind, c.Key, c.Op, c.Value)
	}

	_, err = search.ParseRunFilter("metrics.acc > 0.5 or params.lr = '0.1'")
	fmt.Println(err)
	// Output:
	// metric "acc" > 0.5
	// param "lr" = 0.1
	// tag "mlflow.runName" LIKE conf-%
	// INVALID_PARAMETER_VALUE: Invalid clause(s) in filter string: 'or'
}

func ExampleParseRunOrderBy() {
	terms, err := search.ParseRunOrderBy([]string{"metrics.acc DESC", "created"})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", terms)
	// Output:
	// [{Kind:metric Key:acc Asc:false} {Kind:attribute Key:start_time Asc:true}]
}

func ExampleMatch() {
	f, _ := search.ParseRunFilter("params.opt ILIKE 'adam%' and metrics.loss < 0.2")
	run := map[string]map[string]any{
		"param":  {"opt": "AdamW"},
		"metric": {"loss": 0.15},
	}
	fmt.Println(search.Match(f, func(kind, key string) (any, bool) {
		v, ok := run[kind][key]
		return v, ok
	}))
	// Output: true
}
