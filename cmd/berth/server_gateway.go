//go:build !servingonly

package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/server"
)

// serverGateway builds the LLM gateway berth server mounts: the one
// --gateway-config describes, or without it one with no endpoints (the
// endpoint list answers empty, so mlflow.deployments clients pointed at
// the tracking server work). Gateway keys live in the tracking database;
// without them the server's tokens guard the gateway's routes.
func serverGateway(ctx context.Context, o *serverOptions, reg prometheus.Registerer, log *slog.Logger) ([]server.Option, func(), error) {
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
	gw, err := o.gateway.Build(ctx, log, gateway.NewMetrics(reg), guardOrNil(kg), onReload)
	if err != nil {
		stop()
		return nil, nil, err
	}
	h, match := gw.Mount()
	opts := []server.Option{server.WithGateway(h, match)}
	if kg != nil {
		opts = append(opts, server.WithGatewayOwnAuth()) // callers send a gateway key, not a server token
	}
	return opts, stop, nil
}
