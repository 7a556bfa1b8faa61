//go:build !servingonly

package options

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/modeluri"
)

// Model are the flags that find a model given as a directory or a
// models:/ URI, and load it.
type Model struct {
	Source
	Runtime
}

// AddFlags adds the flags of both groups to cmd.
func (o *Model) AddFlags(cmd *cobra.Command) {
	o.Source.AddFlags(cmd)
	o.Runtime.AddFlags(cmd)
}

// Open resolves and downloads a models:/ URI, or takes a directory, and
// loads the model.
func (o *Model) Open(ctx context.Context, arg string, log *slog.Logger) (*evaluate.Subject, error) {
	f, err := o.Fetch(ctx, arg, log)
	if err != nil {
		return nil, err
	}
	m := &evaluate.Subject{URI: arg, Dir: f.Dir}
	if v := f.Version; v != nil {
		m.Name, m.Version = v.Name, v.Version
	}
	// A prompt is a promptlab model, which calls a gateway: no ONNX Runtime.
	if !strings.HasPrefix(arg, modeluri.PromptScheme) {
		if err := o.Init(); err != nil {
			return nil, err
		}
	}
	if m.Loaded, err = flavors.Load(ctx, f.Dir, flavors.LoadOptions{Logger: log}); err != nil {
		return nil, fmt.Errorf("loading %s: %w", arg, err)
	}
	return m, nil
}
