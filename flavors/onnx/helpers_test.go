package onnx_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
	"github.com/berthml/berth/internal/ortest"
)

// conformanceDir holds the model directories MLflow 2.17.2 wrote, committed
// with the repository (testdata/conformance/README.md).
const conformanceDir = "../../testdata/conformance/models"

// testModel builds the flavors.Model of an MLflow directory dir whose onnx
// flavor is conf plus data: file.
func testModel(dir, file string, conf map[string]any) *flavors.Model {
	c := map[string]any{"data": file, "onnx_session_options": nil, "providers": []any{onnx.ProviderCPU}}
	for k, v := range conf {
		c[k] = v
	}
	return &flavors.Model{Dir: dir, MLmodel: &flavors.MLmodel{Flavors: map[string]map[string]any{"onnx": c}}}
}

// randomForestDir is onnxruntime_go's sklearn random forest, kept once with
// the project's fixtures.
const randomForestDir = "../../testdata/models/sklearn_randomforest"

// load loads testdata/file with the onnx flavor configuration conf and
// closes it when the test ends.
func load(t testing.TB, file string, conf map[string]any, opts ...onnx.Option) *onnx.Model {
	t.Helper()
	return loadFrom(t, testModel("testdata", file, conf), flavors.LoadOptions{}, opts...)
}

func loadFrom(t testing.TB, m *flavors.Model, lo flavors.LoadOptions, opts ...onnx.Option) *onnx.Model {
	t.Helper()
	ortest.Init(t)
	model, err := onnx.Load(context.Background(), m, lo, opts...)
	if err != nil {
		t.Fatalf("Load(%s): %v", filepath.Join(m.Dir, "..."), err)
	}
	t.Cleanup(func() {
		if err := model.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return model
}

func predict(t testing.TB, m *onnx.Model, inputs []*flavors.Tensor, outputs ...string) []*flavors.Tensor {
	t.Helper()
	out, err := m.Predict(context.Background(), inputs, outputs)
	if err != nil {
		t.Fatalf("Predict: %v", err)
	}
	return out
}

// logBuffer is a slog handler target that tests can read safely.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

func ortestInit(t testing.TB) string {
	t.Helper()
	return ortest.Init(t)
}
