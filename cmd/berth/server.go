//go:build !servingonly

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/server"
	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking/sqlstore"
	"github.com/berthml/berth/ui"
)

// serverOptions are berth server's flags: where it listens (shared with
// berth serve), its stores and its tokens.
type serverOptions struct {
	listen             options.Listen
	store              options.Store
	tokens             options.Tokens
	webhooks           options.Webhook
	gateway            options.Gateway
	gatewayKeys        options.GatewayKeys
	gatewayReport      options.GatewayReport
	gatewayTrace       options.GatewayTrace
	ui                 bool
	traceRetentionDays int
	bodies             options.ServerBodies
}

func newServerCmd(g *options.Log) *cobra.Command {
	o := &serverOptions{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run an MLflow tracking and model-registry server",
		Long: `Run an MLflow tracking and model-registry server that the MLflow Python
client uses unchanged (MLFLOW_TRACKING_URI=http://HOST:PORT).

Experiments, runs and registered models are kept in --backend-store-uri
(SQLite or PostgreSQL); artifacts logged through the server are kept under
--artifacts-destination and handed out as mlflow-artifacts:/ URIs. With no
flags, both live in ./berth-data: the database ./berth-data/berth.db and the
artifacts ./berth-data/artifacts. A web UI for browsing runs and models is
served at http://HOST:PORT/ (--ui=false turns it off).

With --read-token or --write-token, every route but /health, /version and
the UI's files needs "Authorization: Bearer TOKEN" (/metrics too, unless
--metrics-open): routes that only read (including the searches sent as POST)
take a read or a write token, routes that change something a write token.
Each flag takes one token and may be repeated; a token is used whole, commas
included. The variables BERTH_READ_TOKENS and BERTH_WRITE_TOKENS are split on
commas instead, so a token set through them cannot contain a comma. An empty
token is refused: the server never starts open by mistake.

Bound to a loopback address (the default), the server answers only requests
whose Host is a loopback name, against DNS rebinding; --allowed-hosts
names others.`,
		Example: `  berth server
  berth server --port 5000 --backend-store-uri sqlite:////var/lib/berth/berth.db --artifacts-destination /var/lib/berth/artifacts
  berth server --backend-store-uri postgresql://berth:secret@db:5432/berth`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.Logger(os.Stderr)
			if err != nil {
				return err
			}
			if err := o.tokens.Resolve(cmd); err != nil {
				return err
			}
			return runServer(cmd.Context(), o, log)
		},
	}
	o.listen.AddFlags(cmd, "5000")
	o.store.AddFlags(cmd)
	o.tokens.AddFlags(cmd)
	o.webhooks.AddFlags(cmd)
	o.gateway.AddFlags(cmd, "gateway-config", false)
	o.gatewayKeys.AddFlags(cmd)
	o.gatewayReport.AddFlags(cmd, false)
	o.gatewayTrace.AddFlags(cmd, "the tracking store")
	f := cmd.Flags()
	o.bodies.AddFlags(cmd)
	f.BoolVar(&o.ui, "ui", true, "serve the web UI at / (--ui=false turns it off)")
	f.IntVar(&o.traceRetentionDays, "trace-retention-days", 0,
		"delete traces (with their spans and assessments) older than this many days, checked hourly; 0 keeps them forever")
	return cmd
}

// runServer opens the store and the artifact directory, then serves until
// ctx is cancelled.
func runServer(ctx context.Context, o *serverOptions, log *slog.Logger) error {
	store, arts, err := o.store.Open(ctx, log)
	if err != nil {
		return err
	}
	defer store.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts := append(o.tokens.Options(), server.WithLogger(log), server.WithShutdownTimeout(o.listen.Shutdown),
		server.WithMetrics(reg, reg), server.WithBodyTimeout(o.listen.BodyTimeout), server.WithAllowedHosts(o.listen.Hosts()))
	opts = append(opts, o.bodies.Options()...)
	opts = append(opts, o.store.ServerOptions()...)
	hookOpts, err := o.webhooks.ServerOptions()
	if err != nil {
		return err
	}
	opts = append(opts, hookOpts...)
	if o.listen.AccessLog {
		opts = append(opts, server.WithAccessLog(log))
	}
	if o.ui {
		opts = append(opts, server.WithUI(ui.Handler()))
	}
	gwOpts, stopGateway, err := serverGateway(ctx, o, store, reg, log)
	if err != nil {
		return err
	}
	defer stopGateway()
	opts = append(opts, gwOpts...)
	s := server.New(store, arts, opts...)
	if o.traceRetentionDays < 0 {
		return fmt.Errorf("--trace-retention-days %d: give 0 (keep traces forever) or a number of days", o.traceRetentionDays)
	}
	if o.traceRetentionDays > 0 {
		go tracing.RunRetention(ctx, store, time.Duration(o.traceRetentionDays)*24*time.Hour, time.Hour, log)
	}

	ln, err := o.listen.Listen()
	if err != nil {
		return err
	}
	log.Info("ready", "addr", "http://"+ln.Addr().String(), "backend", sqlstore.Redact(o.store.BackendStoreURI),
		"artifacts", options.Describe(arts), "start_to_ready", time.Since(started).Round(time.Microsecond))
	return s.Serve(ctx, ln)
}
