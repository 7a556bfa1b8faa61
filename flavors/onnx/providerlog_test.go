package onnx_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
)

// TestProviderFallbackLogLevel: MLflow writes providers [CUDA, CPU] into
// every ONNX MLmodel, so on the CPU library the fallback is the expected
// case and stays out of an info-level log (it used to print on every load);
// an MLmodel that does not name CPU still gets a warning.
func TestProviderFallbackLogLevel(t *testing.T) {
	cases := []struct {
		name      string
		providers []any
		want      string // the level the fallback is logged at; "" for none at info
	}{
		{"mlflow default, CPU named", []any{onnx.ProviderCUDA, onnx.ProviderCPU}, ""},
		{"GPU only", []any{onnx.ProviderCUDA}, "level=WARN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf strings.Builder
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
			loadFrom(t, testModel("testdata", "example_dynamic_axes.onnx", map[string]any{"providers": c.providers}),
				flavors.LoadOptions{Logger: log})
			logged := buf.String()
			fallback := strings.Contains(logged, "falling back to CPU")
			switch {
			case c.want == "" && fallback:
				t.Errorf("fallback logged at info level:\n%s", logged)
			case c.want != "" && (!fallback || !strings.Contains(logged, c.want)):
				t.Errorf("log lacks the fallback at %s:\n%s", c.want, logged)
			}
		})
	}
}
