package server

import (
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestEveryRouteHasAnAccessClass checks that each route gin serves is in
// the route table with a class, so that a route registered any other way,
// or added to the table without one, fails here.
func TestEveryRouteHasAnAccessClass(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := New(nil, nil, WithMetrics(reg, reg), WithUI(http.NotFoundHandler()), WithTokens([]string{"r"}, []string{"w"}))
	served := s.engine.Routes()
	if len(served) != len(s.table) {
		t.Errorf("gin serves %d routes, the table has %d", len(served), len(s.table))
	}
	for _, r := range served {
		a, ok := s.access[r.Method+" "+r.Path]
		if !ok || a < Open || a > Write {
			t.Errorf("%s %s has no access class (%v)", r.Method, r.Path, a)
		}
	}
	bad := append(s.routeTable(), route{Route: Route{Method: "GET", Path: "/unclassified"}})
	if _, err := accessMap(bad); err == nil {
		t.Error("accessMap took a route without an access class")
	}
}
