// Package mlflowrest holds the wire types of MLflow's tracking and
// model-registry REST API (/api/2.0/mlflow/...), exactly as MLflow 2.17.2
// encodes them: field names, which ids are strings, which int64s are JSON
// numbers and which fields are omitted when empty.
//
// The package uses only the standard library. It imports neither gin nor the
// storage layer; the HTTP handlers translate between these types and the
// domain types of package tracking.
//
// Conventions recorded from the real server:
//   - experiment_id, run_id and a model version's version are JSON strings;
//     timestamps, steps and max_results are JSON numbers.
//   - The Python client sends NaN and infinite metric values as the strings
//     "NaN", "Infinity" and "-Infinity"; see Float64.
//   - Protobuf's JSON parser accepts a quoted number for an int64 field
//     ("step": "3"); see Int64.
//   - Errors are {"error_code": "...", "message": "..."}; see ErrorResponse.
package mlflowrest
