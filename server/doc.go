// Package server is berth's MLflow tracking and model-registry server: it
// answers MLflow 2.x's REST API (/api/2.0/mlflow/... and the same under
// /ajax-api/2.0/mlflow/...) on top of a tracking.Store, and proxies run
// artifacts (/api/2.0/mlflow-artifacts/artifacts/...) to an ArtifactStore,
// so that the unchanged MLflow Python client can log runs, metrics, params,
// tags and models, register models and download them again.
//
// Wire rules follow MLflow: GET parameters come from the query string
// (repeated keys for lists), POST, PATCH and DELETE from a JSON body; success
// bodies are pretty-printed JSON and errors are
// {"error_code": ..., "message": ...}. Every handler reads its request
// through bind, which decodes it into an mlflowrest request type and calls
// that type's Validate (required parameters, MLflow's messages). Errors map
// to statuses in one place (httpStatus): a client's mistake is always a 4xx
// and the server keeps serving.
//
// It is the whole HTTP tracking server (`berth server`), not only the model
// registry; the domain it serves is package tracking.
package server
