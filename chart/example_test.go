package chart_test

import (
	"fmt"
	"regexp"

	"github.com/berthml/berth/chart"
)

// A histogram of one feature, reference against the current window: the
// SVG's text alternative says which bin moved most.
func ExampleHistogram() {
	h := chart.Histogram{Feature: "petal_length", Labels: []string{"< 2", "[2, 4)", ">= 4"},
		Reference: []int64{30, 60, 10}, Current: []int64{0, 20, 80}, CurrentName: "window 2"}
	svg := string(h.SVG())
	fmt.Println(regexp.MustCompile(`aria-label="([^"]*)"`).FindStringSubmatch(svg)[1])
	fmt.Println(len(regexp.MustCompile(`<rect class="bar ref"`).FindAllString(svg, -1)), "reference bars in", chart.ColorReference)
	// Output:
	// histogram of petal_length: share of rows per bin, reference against window 2; bin &gt;= 4 moved most, from 10.0% to 80.0%
	// 3 reference bars in #4c78a8
}
