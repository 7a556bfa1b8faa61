//go:build !servingonly

package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/gatewaytrace"
	"github.com/berthml/berth/internal/httpguard"
	"github.com/berthml/berth/internal/httpserve"
)

// gatewayOptions are berth gateway's flags.
type gatewayOptions struct {
	listen  options.Listen
	gateway options.Gateway
	keys    options.GatewayKeys
	store   options.GatewayKeyStore
	report  options.GatewayReport
	trace   options.GatewayTrace
	gc      options.GatewayGC
}

func newGatewayCmd(g *options.Log) *cobra.Command {
	o := &gatewayOptions{}
	cmd := &cobra.Command{
		Use:   "gateway --config FILE",
		Short: "Run an LLM gateway: MLflow's Deployments server, OpenAI-compatible",
		Long: `Run an LLM gateway in front of the providers a config names (OpenAI, Azure
OpenAI, Anthropic, Gemini, Mistral, Cohere, Bedrock, Together, any
OpenAI-compatible server, MLflow model serving), with the provider keys kept
here. The config is MLflow's Deployments server YAML; clients use MLflow's
mlflow.deployments client (get_deploy_client("http://HOST:PORT")) or any
OpenAI SDK (base URL http://HOST:PORT/v1, model = an endpoint's name).

The config is reloaded when the file changes; a bad edit keeps the config in
use and is logged. Upstream calls get per-endpoint timeouts, retries,
fallbacks and a circuit breaker (see docs/gateway.md). Prometheus metrics are
at /metrics. With --gateway-keys every query needs a gateway key
(berth gateway keys create). With --tracking-uri, each endpoint's usage
(requests, errors, tokens, cost, latency, per key too) is logged to a run
of the experiment berth-gateway every --report-interval.`,
		Example: `  berth gateway --config gateway.yaml
  berth gateway --config gateway.yaml --port 5001 --gateway-keys
  berth gateway --config gateway.yaml --tracking-uri http://127.0.0.1:5000 --report-interval 1m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.Logger(os.Stderr)
			if err != nil {
				return err
			}
			return runGateway(cmd.Context(), o, log)
		},
	}
	o.listen.AddFlags(cmd, "5000")
	o.gateway.AddFlags(cmd, "config", true)
	o.keys.AddFlags(cmd)
	o.store.AddFlags(cmd)
	o.report.AddFlags(cmd, true)
	o.trace.AddFlags(cmd, "--tracking-uri (by OTLP, /v1/traces)")
	o.gc.AddFlags(cmd)
	cmd.AddCommand(newGatewayKeysCmd(g))
	return cmd
}

func runGateway(ctx context.Context, o *gatewayOptions, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer o.gc.Start(ctx, log)()
	cfgBytes, err := o.gateway.ConfigBytes()
	if err != nil {
		return err
	}
	kg, err := o.keys.Guard(ctx, o.store.URI, o.store.URI == options.DefaultGatewayStoreURI, cfgBytes, log)
	if err != nil {
		return err
	}
	var onReload func([]byte)
	if kg != nil {
		stop := kg.Start(ctx)
		defer stop()
		onReload = func(b []byte) {
			if err := kg.Reload(b); err != nil {
				log.Error("the gateway's price table was not reloaded", "error", err)
			}
		}
	}
	// Listening first: the usage runs name the address really bound
	// (--port 0 included).
	ln, err := o.listen.Listen()
	if err != nil {
		return err
	}
	defer ln.Close()
	reports, stopReports, err := o.report.Start(ctx, o.report.Sink(), cfgBytes, ln.Addr().String(), log)
	if err != nil {
		return err
	}
	defer stopReports()
	registerUsageMetrics(reg, reports)
	var traceSink gatewaytrace.Sink
	if o.report.TrackingURI != "" {
		traceSink = gatewaytrace.OTLPSink{TrackingURI: o.report.TrackingURI, ExperimentID: o.trace.ExperimentID, Token: o.report.Token}
	}
	traceOpts, stopTraces, err := o.trace.Start(ctx, traceSink, "--tracking-uri", log)
	if err != nil {
		return err
	}
	defer stopTraces()
	gw, err := o.gateway.Build(ctx, log, gateway.NewMetrics(reg), guardOrNil(kg), reloadBoth(onReload, reports, log), append(reports.Option(), traceOpts...)...)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", gw.Handler())
	h := httpguard.Server(mux, o.listen.Hosts(), []string{"/health"}, o.listen.BodyTimeout, nil)
	log.Info("ready", "addr", "http://"+ln.Addr().String(), "config", o.gateway.Config, "endpoints", len(gw.Endpoints()),
		"gateway_keys", kg != nil, "start_to_ready", time.Since(started).Round(time.Microsecond))
	return httpserve.Serve(ctx, ln, h, o.listen.Shutdown, log)
}

// registerUsageMetrics exports the usage reports' dropped count, when
// reports are on.
func registerUsageMetrics(reg prometheus.Registerer, reports *options.Reports) {
	if reports == nil {
		return
	}
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "berth", Subsystem: "gateway", Name: "usage_reports_dropped_total",
		Help: "Usage reports dropped because the write-back queue was full (the tracking server down or slow)."},
		func() float64 { return float64(reports.Writer.Dropped()) }))
}

// reloadBoth is onReload (which may be nil) followed by the usage
// reports' price reload.
func reloadBoth(onReload func([]byte), reports *options.Reports, log *slog.Logger) func([]byte) {
	if reports == nil {
		return onReload
	}
	return func(b []byte) {
		if onReload != nil {
			onReload(b)
		}
		if err := reports.Reload(b); err != nil {
			log.Error("the usage reports' price table was not reloaded", "error", err)
		}
	}
}

// guardOrNil is kg as the gateway's Guard, nil when keys are off.
func guardOrNil(kg *options.KeyGuard) gateway.Guard {
	if kg == nil {
		return nil
	}
	return kg
}
