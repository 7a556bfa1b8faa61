// Package tracking is berth's MLflow tracking and model-registry domain:
// experiments, runs (metrics, params, tags, dataset inputs), registered
// models, model versions and aliases, the Store interface that persists them,
// the typed errors the REST layer maps to MLflow's error codes, and MLflow's
// validation rules (mlflow/utils/validation.py, MLflow 2.17).
//
// The package knows nothing about HTTP. Package tracking/sqlstore implements
// Store on database/sql for SQLite and PostgreSQL; package tracking/search
// parses MLflow filter strings into the Filter and OrderBy types of this
// package.
package tracking
