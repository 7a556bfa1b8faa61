// Package gateway is berth's LLM gateway: MLflow's Deployments server
// (mlflow deployments start-server, MLflow 2.13+) and its OpenAI-compatible
// routes, in front of the providers of package gateway/provider.
//
// # Guard: the hook for gateway keys, limits and budgets
//
// The gateway runs without authentication, as MLflow's does. A Guard
// plugs in before every query (WithGuard): package gateway/keys implements
// one with gateway keys, per-key limits and budgets; tests use small fakes.
//
// For each query, after the request has been parsed and validated and its
// endpoint found, and before any upstream call, the gateway calls
//
//	ticket, err := guard.Admit(ctx, r, endpoint)
//
// r is the client's request (headers: Authorization, x-api-key, ...; its
// body is already read and must not be read again), endpoint the name of
// the endpoint asked for. A non-nil error refuses the query: a *Denied
// says why and is answered 401, 403 or 429 (with Retry-After) in the
// route's error format (MLflow's {"detail": ...} on MLflow's routes,
// OpenAI's {"error": {...}} on /v1/*); any other error is the guard's own
// failure and is answered 503. On success the gateway calls ticket.Done
// exactly once when the query ends (after the last byte of a stream, on
// failure and on cancellation too) with the tokens used, so budgets count
// what was spent. Done must not block: a guard that writes usage to a
// database queues it.
//
// Admit is on the request path of every call: it must be fast (an
// in-memory check; reconcile with a shared store off the path).
package gateway
