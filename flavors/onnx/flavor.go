package onnx

import (
	"context"

	"github.com/berthml/berth/flavors"
)

// FlavorName is the key of the ONNX flavor in MLmodel files.
const FlavorName = "onnx"

// Flavor loads MLmodel "onnx" flavors; see [Load].
type Flavor struct {
	opts []Option
}

var _ flavors.Flavor = (*Flavor)(nil)

func init() { flavors.Register(NewFlavor()) }

// NewFlavor returns a flavor whose Load applies opts over each model's
// MLmodel session settings. The package registers NewFlavor() with no
// options.
func NewFlavor(opts ...Option) *Flavor {
	return &Flavor{opts: opts}
}

// Name returns "onnx".
func (f *Flavor) Name() string { return FlavorName }

// Load loads m with [Load].
func (f *Flavor) Load(ctx context.Context, m *flavors.Model, lo flavors.LoadOptions) (flavors.Predictor, error) {
	p, err := Load(ctx, m, lo, f.opts...)
	if err != nil {
		return nil, err
	}
	return p, nil
}
