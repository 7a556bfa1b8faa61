//go:build !servingonly

package options

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/keys"
	"github.com/berthml/berth/gateway/usage"
)

// GatewayReport are the flags of the gateway's usage reports:
// --report-interval, and for a standalone berth gateway the tracking
// server they go to (--tracking-uri, --tracking-token).
type GatewayReport struct {
	Interval    time.Duration
	TrackingURI string
	Token       string
}

// AddFlags adds --report-interval to cmd, and --tracking-uri and
// --tracking-token when tracking is true (berth gateway; berth server
// writes to its own store).
func (o *GatewayReport) AddFlags(cmd *cobra.Command, tracking bool) {
	f := cmd.Flags()
	where := "the tracking store"
	if tracking {
		where = "--tracking-uri"
		f.StringVar(&o.TrackingURI, "tracking-uri", "", "tracking server (MLflow REST) the gateway's usage reports are written to (default: none, no reports)")
		f.StringVar(&o.Token, "tracking-token", "", "bearer token for --tracking-uri")
	}
	f.DurationVar(&o.Interval, "report-interval", time.Minute,
		"log each gateway endpoint's requests, errors, tokens, cost and latency, and each key's, to a usage run in "+where+" every this long (0: off)")
}

// Sink returns where the reports go for berth gateway: the REST API at
// --tracking-uri; nil without one.
func (o *GatewayReport) Sink() usage.Sink {
	if o.TrackingURI == "" {
		return nil
	}
	return usage.RESTSink{C: &mlflowrest.Client{BaseURL: o.TrackingURI, Token: o.Token}}
}

// Reports is a running usage report loop: Counter is the gateway's
// UsageObserver; Reload takes a changed config's price table.
type Reports struct {
	Counter *usage.Counter
	Writer  *usage.Writer
}

// Start counts the gateway's usage, priced by the prices: table of the
// config's contents, and writes a report per endpoint to sink every
// --report-interval until stop is called; stop reports the last partial
// interval, writes what is queued (within 10 s) and finishes the runs.
// It returns nil and a no-op stop when reports are off (an interval of 0
// or no sink).
func (o *GatewayReport) Start(ctx context.Context, sink usage.Sink, config []byte, instance string, log *slog.Logger) (*Reports, func(), error) {
	if o.Interval < 0 {
		return nil, nil, fmt.Errorf("--report-interval %s: give a positive interval, or 0 for no usage reports", o.Interval)
	}
	if o.Interval == 0 || sink == nil {
		return nil, func() {}, nil
	}
	prices, err := keys.ParsePrices(config)
	if err != nil {
		return nil, nil, err
	}
	r := &Reports{Counter: usage.NewCounter(prices, gateway.DefaultMaxKeyLabels),
		Writer: usage.NewWriter(sink, usage.WithInstance(instance), usage.WithLogger(log))}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	written, reported := make(chan struct{}), make(chan struct{})
	go func() { defer close(written); r.Writer.Run(ctx) }()
	go func() {
		defer close(reported)
		usage.NewReporter(r.Counter, r.Writer.Enqueue, time.Now()).Run(ctx, o.Interval)
	}()
	return r, func() {
		cancel()
		<-reported
		<-written
		dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer dcancel()
		if left := r.Writer.Drain(dctx); left > 0 {
			log.Warn("gateway usage reports not written at shutdown", "reports", left)
		}
		if err := r.Writer.Finish(dctx); err != nil {
			log.Warn("finishing the gateway's usage runs", "error", err)
		}
	}, nil
}

// Option is the gateway option that feeds the reports (none when r is
// nil).
func (r *Reports) Option() []gateway.Option {
	if r == nil {
		return nil
	}
	return []gateway.Option{gateway.WithUsageObserver(r.Counter)}
}

// Reload prices later queries by a changed config's price table; on an
// error the old one stays.
func (r *Reports) Reload(config []byte) error {
	if r == nil {
		return nil
	}
	p, err := keys.ParsePrices(config)
	if err != nil {
		return err
	}
	r.Counter.SetPrices(p)
	return nil
}
