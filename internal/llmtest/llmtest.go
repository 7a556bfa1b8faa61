package llmtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// WriteModelFile writes the model of cfg to path.
func WriteModelFile(path string, cfg ModelConfig) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteModel(f, cfg); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// New starts an engine with DefaultModelConfig's model (written into a
// temp dir) for the test and stops it when the test ends. Its log goes to
// t.Log when the test fails. When node or node-llama-cpp is missing the
// test is skipped with how to get it, or fails when BERTH_REQUIRE_TOOLS=1
// (as under make test).
func New(tb testing.TB) *Engine {
	tb.Helper()
	model := filepath.Join(tb.TempDir(), "tiny.gguf")
	if err := WriteModelFile(model, DefaultModelConfig); err != nil {
		tb.Fatal(err)
	}
	var log strings.Builder
	logw := &lockedWriter{w: &log}
	e, err := Start(context.Background(), Config{Model: model, Log: logw})
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
				tb.Fatalf("BERTH_REQUIRE_TOOLS=1 and %v", err)
			}
			tb.Skipf("skipping: %v", err)
		}
		tb.Fatalf("%v\nengine log:\n%s", err, logw.String())
	}
	tb.Cleanup(func() {
		e.Close()
		if tb.Failed() {
			tb.Logf("LLM engine log:\n%s", logw.String())
		}
	})
	return e
}
