//go:build !servingonly

package options

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/gctune"
	_ "github.com/berthml/berth/gateway/provider/builtin" // the providers a config may name
	"github.com/berthml/berth/internal/cliflag"
)

// Gateway are the flags of the commands that run the LLM gateway: its
// config file, request body limit and upstream deadline. berth gateway
// names the file --config, berth server --gateway-config.
type Gateway struct {
	Config     string
	MaxBody    cliflag.ByteSize
	BodyBudget cliflag.ByteSize
	Timeout    time.Duration
	NoReload   bool
}

// AddFlags adds the config flag (named configFlag) and --gateway-max-body,
// --gateway-body-budget, --gateway-timeout and --gateway-no-reload to cmd.
func (o *Gateway) AddFlags(cmd *cobra.Command, configFlag string, required bool) {
	f := cmd.Flags()
	help := "the gateway's YAML config: MLflow's Deployments server config (endpoints:, routes:), reloaded when the file changes"
	if !required {
		help += " (default: none; the endpoint list answers empty)"
	}
	f.StringVar(&o.Config, configFlag, "", help)
	if required {
		_ = cmd.MarkFlagRequired(configFlag)
	}
	o.MaxBody = 8 << 20
	f.Var(&o.MaxBody, "gateway-max-body", "largest gateway query body accepted; larger ones get 413 (e.g. 8MiB)")
	o.BodyBudget = 256 << 20
	f.Var(&o.BodyBudget, "gateway-body-budget", "the bytes of query bodies the gateway holds at once; a query past it gets 503 with Retry-After (0: no bound)")
	f.DurationVar(&o.Timeout, "gateway-timeout", 60*time.Second, "an endpoint's upstream deadline, retries included, where its config gives no timeout:")
	f.BoolVar(&o.NoReload, "gateway-no-reload", false, "do not reload the config when its file changes")
}

// Build loads the config (none when the flag is empty) and builds the
// gateway with metrics m (nil: none) and the guard (nil: none), then, unless
// --gateway-no-reload, watches the file until ctx ends; onReload gets the
// file's bytes after each good reload (for the key guard's prices); extra
// options are passed on to gateway.New.
func (o *Gateway) Build(ctx context.Context, log *slog.Logger, m *gateway.Metrics, guard gateway.Guard, onReload func([]byte), extra ...gateway.Option) (*gateway.Gateway, error) {
	var cfg *config.Config
	if o.Config != "" {
		var err error
		cfg, err = config.Load(o.Config)
		if err != nil {
			return nil, fmt.Errorf("invalid value for the gateway config %s: %w", o.Config, err)
		}
		for _, w := range cfg.Warnings {
			log.Warn(w, "config", o.Config)
		}
	}
	opts := []gateway.Option{gateway.WithLogger(log), gateway.WithMaxBody(int64(o.MaxBody)),
		gateway.WithBodyBudget(int64(o.BodyBudget)), gateway.WithDefaultTimeout(o.Timeout)}
	if m != nil {
		opts = append(opts, gateway.WithMetrics(m))
	}
	if guard != nil {
		opts = append(opts, gateway.WithGuard(guard))
	}
	g, err := gateway.New(cfg, append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("starting the gateway on %s: %w", o.Config, err)
	}
	if o.Config != "" && !o.NoReload {
		err := g.Watch(ctx, o.Config, func(err error) {
			if err == nil && onReload != nil {
				if b, rerr := os.ReadFile(o.Config); rerr == nil {
					onReload(b)
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return g, nil
}

// ConfigBytes returns the config file's contents ("" without a config).
func (o *Gateway) ConfigBytes() ([]byte, error) {
	if o.Config == "" {
		return nil, nil
	}
	b, err := os.ReadFile(o.Config)
	if err != nil {
		return nil, fmt.Errorf("reading the gateway config: %w", err)
	}
	return b, nil
}

// GatewayGC is berth gateway's --gc-percent: the garbage collector's
// pacing for a process that is only a gateway (berth server keeps Go's
// default).
type GatewayGC struct {
	Percent int
}

// AddFlags adds --gc-percent to cmd.
func (o *GatewayGC) AddFlags(cmd *cobra.Command) {
	cmd.Flags().IntVar(&o.Percent, "gc-percent", 400, "the garbage collector's GOGC for this process, with a soft memory limit of twice the live heap plus 64 MiB (a higher GOGC saves CPU per call; the limit keeps large heaps at Go's default pace); 100 or less, or GOGC or GOMEMLIMIT in the environment, keeps Go's default pacing")
}

// Start paces the collector until ctx ends (see package gctune), unless
// the environment sets GOGC or GOMEMLIMIT; stop waits for it to end.
func (o *GatewayGC) Start(ctx context.Context, log *slog.Logger) (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" || o.Percent <= 100 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { gctune.Run(ctx, o.Percent, 64<<20, time.Second) })
	log.Debug("garbage collector paced", "gc_percent", o.Percent)
	return func() { cancel(); wg.Wait() }
}
