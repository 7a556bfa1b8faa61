package search_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

// TestFilterLimits checks the caps that keep a filter a query the
// databases plan quickly: at most MaxFilterComparisons comparisons, at most
// MaxFilterListValues IN values, at most MaxOrderBy order_by terms, each
// refused as INVALID_PARAMETER_VALUE by every search language.
func TestFilterLimits(t *testing.T) {
	and := func(n int, clause string) string {
		return strings.TrimSuffix(strings.Repeat(clause+" and ", n), " and ")
	}
	parsers := []struct {
		name   string
		parse  func(string) (*tracking.Filter, error)
		clause string
	}{
		{"runs", search.ParseRunFilter, "params.a = 'x'"},
		{"experiments", search.ParseExperimentFilter, "name = 'x'"},
		{"models", search.ParseModelFilter, "name = 'x'"},
		{"model versions", search.ParseModelVersionFilter, "name = 'x'"},
	}
	for _, p := range parsers {
		if _, err := p.parse(and(search.MaxFilterComparisons, p.clause)); err != nil {
			t.Errorf("%s: %d comparisons: %v", p.name, search.MaxFilterComparisons, err)
		}
		for _, n := range []int{search.MaxFilterComparisons + 1, 1000} {
			_, err := p.parse(and(n, p.clause))
			if !errors.Is(err, tracking.ErrInvalidParameter) || !strings.Contains(err.Error(), "more than the limit") {
				t.Errorf("%s: %d comparisons: %v, want INVALID_PARAMETER_VALUE naming the limit", p.name, n, err)
			}
		}
	}
	in := func(n int) string {
		return "attributes.run_id IN ('" + strings.TrimSuffix(strings.Repeat("a', '", n), ", '") + ")"
	}
	if _, err := search.ParseRunFilter(in(search.MaxFilterListValues)); err != nil {
		t.Errorf("IN of %d: %v", search.MaxFilterListValues, err)
	}
	if _, err := search.ParseRunFilter(in(search.MaxFilterListValues + 1)); !errors.Is(err, tracking.ErrInvalidParameter) {
		t.Errorf("IN of %d: %v, want INVALID_PARAMETER_VALUE", search.MaxFilterListValues+1, err)
	}
	var terms []string
	for i := 0; i <= search.MaxOrderBy; i++ {
		terms = append(terms, "metrics.m"+strings.Repeat("x", i))
	}
	if _, err := search.ParseRunOrderBy(terms[:search.MaxOrderBy]); err != nil {
		t.Errorf("%d order_by terms: %v", search.MaxOrderBy, err)
	}
	if _, err := search.ParseRunOrderBy(terms); !errors.Is(err, tracking.ErrInvalidParameter) {
		t.Errorf("%d order_by terms: %v, want INVALID_PARAMETER_VALUE", len(terms), err)
	}
}
