// Command steplog is the whole of the tiny image berth run's podman test
// builds (project/docker_test.go): a static program that logs to the run
// MLFLOW_RUN_ID names through MLflow's REST API, with the standard library
// only, what it sees inside the container.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func post(endpoint string, body map[string]any) {
	b, _ := json.Marshal(body)
	resp, err := http.Post(os.Getenv("MLFLOW_TRACKING_URI")+"/api/2.0/mlflow/"+endpoint, "application/json", bytes.NewReader(b))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, endpoint, resp.Status)
		os.Exit(2)
	}
}

func main() {
	alpha := flag.String("alpha", "", "")
	extra := flag.String("extra", "", "")
	flag.Parse()
	run := os.Getenv("MLFLOW_RUN_ID")
	cwd, _ := os.Getwd()
	_, err := os.Stat("MLproject")
	post("runs/log-parameter", map[string]any{"run_id": run, "key": "alpha_in_container", "value": *alpha})
	post("runs/set-tag", map[string]any{"run_id": run, "key": "container_cwd", "value": cwd})
	post("runs/set-tag", map[string]any{"run_id": run, "key": "project_mounted", "value": fmt.Sprint(err == nil)})
	post("runs/set-tag", map[string]any{"run_id": run, "key": "greeting", "value": os.Getenv("GREETING")})
	post("runs/set-tag", map[string]any{"run_id": run, "key": "experiment_env", "value": os.Getenv("MLFLOW_EXPERIMENT_ID")})
	post("runs/log-metric", map[string]any{"run_id": run, "key": "steps", "value": 1, "timestamp": time.Now().UnixMilli(), "step": 0})
	fmt.Println("steplog done", *alpha, *extra)
}
