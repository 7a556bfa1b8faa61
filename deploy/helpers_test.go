package deploy_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/berthml/berth/internal/iristest"
)

const (
	alertsFile    = "prometheus/alerts.yml"
	configFile    = "prometheus/prometheus.yml"
	dashboardFile = "grafana/berth.json"
)

// tool returns the path of a Prometheus tool, skipping the test when it
// is missing, or failing it when BERTH_REQUIRE_TOOLS=1 (as in CI).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			t.Fatalf("BERTH_REQUIRE_TOOLS=1 and %s not found (apt-get install prometheus)", name)
		}
		t.Skipf("skipping: %s not found (apt-get install prometheus)", name)
	}
	return p
}

// invocationsBody is an MLflow scoring request for rows.
func invocationsBody(t *testing.T, rows [][]float64) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": iristest.Features, "data": rows}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
