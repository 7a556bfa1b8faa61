// Package config reads the gateway's YAML configuration: MLflow 2.x's
// Deployments server config (endpoints with name, endpoint_type,
// model{provider, name, config}, limit{calls, renewal_period}), MLflow 2's
// deprecated spellings (top-level routes:, route_type:), and MLflow 3's
// traffic routes (routes: with weighted destinations). Bad configs get
// MLflow 2.17.2's exact messages (testdata/conformance/mlflow-deployments/
// config-errors.jsonl).
//
// Secrets in model.config (the fields a provider's Spec names) are
// resolved as MLflow resolves them: "$NAME" is the environment variable
// NAME (set and non-empty, else "Environment variable 'NAME' is not set";
// "${NAME}" is not understood, as in MLflow), the path of an existing file
// is the file's content (berth drops one trailing newline, which MLflow
// keeps), anything else is the key itself.
//
// berth reads three more members on an endpoint, which MLflow ignores (it
// ignores unknown members), so one file serves both:
//
//	timeout: 30s            the whole call's deadline, retries included (default 60s)
//	max_retries: 2          retries on 429, 5xx, timeouts and refused connections (default 0)
//	fallbacks: [ep-b, ...]  endpoints of the same type to try, in order, when this one fails
package config
