// Package depcheck keeps berth's layering true: one allowlist (in
// depcheck_test.go) names, for every package of the module, the berth
// packages and third-party modules it may import directly, and
// TestLayering checks the whole module against it with `go list`.
//
// The direction it encodes: cmd/berth → the servers (serve, server, ui),
// pack, evaluate and drift → the wire packages (api/...) and tracking →
// flavors. Only serve and server import gin; only flavors/onnx imports
// onnxruntime_go; no domain package imports cmd/berth or an HTTP layer.
// A package that is not in the allowlist fails the test, so a new package
// states its place when it is added; a failure prints the import chain, in
// the style of go-containerregistry's internal/depcheck.
package depcheck
