//go:build !servingonly

package options

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/gatewaytrace"
)

// GatewayTrace are the flags of the gateway's per-call traces:
// --trace-sample-rate and --trace-experiment-id.
type GatewayTrace struct {
	Rate         float64
	ExperimentID string
}

// AddFlags adds --trace-sample-rate and --trace-experiment-id to cmd;
// where names where the traces go, for the help text.
func (o *GatewayTrace) AddFlags(cmd *cobra.Command, where string) {
	f := cmd.Flags()
	f.Float64Var(&o.Rate, "trace-sample-rate", 0, "share of gateway calls written as MLflow traces to "+where+", from 0 (off) to 1 (every call), off the request path")
	f.StringVar(&o.ExperimentID, "trace-experiment-id", "0", "experiment the gateway's traces go to")
}

// Start returns the gateway option that samples calls into sink and runs
// the writer until ctx ends (stop waits for the last write). With a rate
// of 0 it returns nothing; a rate above 0 without a sink is an error
// naming missing.
func (o *GatewayTrace) Start(ctx context.Context, sink gatewaytrace.Sink, missing string, log *slog.Logger) ([]gateway.Option, func(), error) {
	if o.Rate == 0 {
		return nil, func() {}, nil
	}
	if sink == nil {
		return nil, nil, fmt.Errorf("--trace-sample-rate %v needs %s", o.Rate, missing)
	}
	t, err := gatewaytrace.New(o.Rate, sink, gatewaytrace.WithLogger(log))
	if err != nil {
		return nil, nil, fmt.Errorf("--trace-sample-rate: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); t.Run(ctx) }()
	return []gateway.Option{gateway.WithTracer(t)}, func() { cancel(); <-done }, nil
}
