//go:build !servingonly

package main

import (
	"context"
	"log/slog"
	"net"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/gatewaytrace"
	"github.com/berthml/berth/gateway/usage"
	"github.com/berthml/berth/server"
	"github.com/berthml/berth/tracing"
)

// serverGateway builds the LLM gateway berth server mounts: the one
// --gateway-config describes, or without it one with no endpoints (the
// endpoint list answers empty, so mlflow.deployments clients pointed at
// the tracking server work). Gateway keys live in the tracking database;
// without them the server's tokens guard the gateway's routes.
// Without a config there are no endpoints, hence no usage reports; with
// one, each endpoint's usage goes to store every --report-interval.
func serverGateway(ctx context.Context, o *serverOptions, store usage.Store, reg prometheus.Registerer, log *slog.Logger) ([]server.Option, func(), error) {
	cfgBytes, err := o.gateway.ConfigBytes()
	if err != nil {
		return nil, nil, err
	}
	stop := func() {}
	kg, err := o.gatewayKeys.Guard(ctx, o.store.BackendStoreURI, false, cfgBytes, log)
	if err != nil {
		return nil, nil, err
	}
	var onReload func([]byte)
	if kg != nil {
		stop = kg.Start(ctx)
		onReload = func(b []byte) {
			if err := kg.Reload(b); err != nil {
				log.Error("the gateway's price table was not reloaded", "error", err)
			}
		}
	}
	var sink usage.Sink
	if store != nil {
		sink = usage.StoreSink{S: store}
	}
	reports, stopReports, err := o.gatewayReport.Start(ctx, sink, cfgBytes, net.JoinHostPort(o.listen.Host, o.listen.Port), log)
	if err != nil {
		stop()
		return nil, nil, err
	}
	stopKeys := stop
	stop = func() { stopReports(); stopKeys() }
	registerUsageMetrics(reg, reports)
	var traceSink gatewaytrace.Sink
	if sl, ok := store.(tracing.SpanLogger); ok {
		traceSink = gatewaytrace.StoreSink{Store: sl, ExperimentID: o.gatewayTrace.ExperimentID}
	}
	traceOpts, stopTraces, err := o.gatewayTrace.Start(ctx, traceSink, "a tracking store that keeps traces", log)
	if err != nil {
		stop()
		return nil, nil, err
	}
	stopAll := stop
	stop = func() { stopTraces(); stopAll() }
	gw, err := o.gateway.Build(ctx, log, gateway.NewMetrics(reg), guardOrNil(kg), reloadBoth(onReload, reports, log), append(reports.Option(), traceOpts...)...)
	if err != nil {
		stop()
		return nil, nil, err
	}
	h, match := gw.Mount()
	var lister gateway.KeyLister
	if kg != nil {
		lister = kg
	}
	opts := []server.Option{server.WithGateway(h, match), server.WithGatewayInfo(gw.InfoHandler(lister))}
	if kg != nil {
		opts = append(opts, server.WithGatewayOwnAuth()) // callers send a gateway key, not a server token
	}
	return opts, stop, nil
}
