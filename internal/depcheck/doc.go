// Package depcheck holds only a test: it keeps berth's dependency direction
// (cmd → serve, pack, registry, evaluate → api, flavors) and keeps gin and
// ONNX Runtime behind the packages that own them.
package depcheck
