// Package deployments holds the wire types of MLflow's Deployments server
// (the AI gateway, MLflow 2.13+): the endpoint listing, the chat,
// completions and embeddings requests and answers in OpenAI's shapes, the
// stream chunks, the error body, and a Go client.
//
// Requests keep what they do not know: every field other than the ones
// named here is kept in Extra as raw JSON and written back unchanged, so
// tools, tool_choice, response_format, top_p and whatever a provider adds
// pass through the gateway as MLflow passes them ("unknown extra fields are
// accepted and forwarded upstream verbatim", testdata/conformance/
// mlflow-deployments). Messages keep their unknown fields the same way
// (tool_calls, tool_call_id, name, content as a list of parts).
//
// The package uses only the standard library.
package deployments
