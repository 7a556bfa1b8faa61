// Package tracing holds MLflow 3's trace entities (trace info, spans,
// assessments), the store interface that keeps them (Store, implemented by
// tracking/sqlstore), and MLflow's trace search language: the filter
// strings and order_by lists of POST /api/3.0/mlflow/traces/search, as
// MLflow 3.6's SearchTraceUtils accepts them. Package tracing/otlp decodes
// OTLP export requests into spans.
package tracing
