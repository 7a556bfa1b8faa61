// Package serve is berth's scoring server: it answers MLflow's scoring
// protocol (/ping, /health, /version, /invocations), the Open Inference
// Protocol v2 (/v2/...) with the binary tensor data extension, and KServe's
// V1 protocol (/v1/models/{m}:predict) for one or more models in one
// process, and exposes Prometheus metrics at /metrics.
//
// Errors map to statuses in one place (httpStatus): a client's mistake is
// always a 4xx in the protocol's error format, and the server keeps serving.
package serve
