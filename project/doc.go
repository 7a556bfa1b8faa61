// Package project runs MLflow Projects as `mlflow run` (MLflow 2.x) does:
// it reads an MLproject file (Load), fetches a project from a directory or
// a git repository (Fetch), renders an entry point's command with MLflow's
// parameter rules and shell quoting (EntryPoint.Compute, EntryPoint.Command),
// and runs it (Run): the run is created first with MLflow's tags through the
// tracking server's REST API, the parameters are logged, the command runs in
// the project directory (or in its docker_env image under podman) with
// MLFLOW_RUN_ID, MLFLOW_TRACKING_URI and MLFLOW_EXPERIMENT_ID, its output is
// streamed and kept as a run artifact, and the run ends FINISHED, FAILED or
// KILLED. RenderJob renders a Kubernetes Job from MLflow's job template.
//
// What MLflow does is recorded in testdata/conformance/mlflow-projects/ and
// the tests compare against it; where berth differs on purpose (a failed
// path parameter ends the run FAILED instead of leaving it RUNNING, a run
// stopped by a signal ends KILLED instead of FAILED, -v on a local
// repository checks out into a temporary clone instead of the user's
// working tree) docs/projects.md says so.
package project
