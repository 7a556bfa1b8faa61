// Package ortest sets up the real ONNX Runtime for tests.
package ortest

import (
	"errors"
	"os"
	"testing"

	"github.com/berthml/berth/flavors/onnx"
)

// Init loads the ONNX Runtime library for a test and returns its path: the
// file named by BERTH_ORT_LIB, else [onnx.DefaultLibraryPath]. When the
// library is missing the test is skipped with how to get it, or fails
// when BERTH_REQUIRE_ORT=1 (as in CI, where a skip would hide the tests).
func Init(tb testing.TB) string {
	tb.Helper()
	path := os.Getenv("BERTH_ORT_LIB")
	if path == "" {
		p, err := onnx.DefaultLibraryPath()
		if err != nil {
			unavailable(tb, err)
		}
		path = p
	}
	if err := onnx.Init(path); err != nil {
		if errors.Is(err, onnx.ErrLibraryUnavailable) {
			unavailable(tb, err)
		}
		tb.Fatalf("initializing ONNX Runtime: %v", err)
	}
	return path
}

func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("BERTH_REQUIRE_ORT") == "1" {
		tb.Fatalf("BERTH_REQUIRE_ORT=1 and %v", err)
	}
	tb.Skipf("skipping: %v", err)
}
