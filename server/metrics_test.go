package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/berthml/berth/server"
	"github.com/berthml/berth/server/servertest"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	ts := servertest.New(t, server.WithMetrics(reg, reg))
	for _, u := range []string{"/api/2.0/mlflow/experiments/get?experiment_id=0", "/api/2.0/mlflow/experiments/get?experiment_id=0",
		"/api/2.0/mlflow/experiments/get?experiment_id=99", "/no/such/route"} {
		resp, err := http.Get(ts.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := `
# HELP berth_registry_requests_total Tracking and registry API requests answered, by route, method and HTTP status code.
# TYPE berth_registry_requests_total counter
berth_registry_requests_total{code="200",method="GET",route="/api/2.0/mlflow/experiments/get"} 2
berth_registry_requests_total{code="404",method="GET",route="/api/2.0/mlflow/experiments/get"} 1
berth_registry_requests_total{code="404",method="GET",route="unmatched"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "berth_registry_requests_total"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "berth_registry_request_duration_seconds_bucket") {
		t.Errorf("/metrics lacks the duration histogram:\n%.500s", b)
	}
}
