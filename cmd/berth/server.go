package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/internal/cliflag"
	"github.com/berthml/berth/server"
	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking/sqlstore"
	"github.com/berthml/berth/ui"
)

// Defaults of berth server: everything under ./berth-data, so that a bare
// `berth server` just works.
const (
	defaultBackendStoreURI      = "sqlite:///berth-data/berth.db"
	defaultArtifactsDestination = "berth-data/artifacts"
	defaultMaxArtifactSize      = 5 << 30
)

// serverOptions are berth server's flags: where it listens (shared with
// berth serve), its stores and its tokens.
type serverOptions struct {
	listen               options.Listen
	backendStoreURI      string
	artifactsDestination string
	sqliteSync           string
	readTokens           []string
	writeTokens          []string
	ui                   bool
	metricsOpen          bool
	maxArtifactSize      cliflag.ByteSize
	webhooks             options.Webhook
	traceRetentionDays   int
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
			f := cmd.Flags()
			if o.readTokens, err = cliflag.TokenList(o.readTokens, f.Changed("read-token"), "--read-token", "BERTH_READ_TOKENS"); err != nil {
				return err
			}
			if o.writeTokens, err = cliflag.TokenList(o.writeTokens, f.Changed("write-token"), "--write-token", "BERTH_WRITE_TOKENS"); err != nil {
				return err
			}
			return runServer(cmd.Context(), o, log)
		},
	}
	o.listen.AddFlags(cmd, "5000")
	f := cmd.Flags()
	f.StringVar(&o.backendStoreURI, "backend-store-uri", defaultBackendStoreURI,
		"tracking database: sqlite:///relative.db, sqlite:////absolute.db, a file path, or postgresql://user:pass@host:port/db")
	f.StringVar(&o.artifactsDestination, "artifacts-destination", defaultArtifactsDestination,
		"directory (a path or file:///path) where artifacts logged through the server are stored; object stores (s3://...) are not supported yet")
	f.StringVar(&o.sqliteSync, "sqlite-synchronous", "normal",
		"SQLite durability: normal keeps every acknowledged write through a crash of the process (kill -9); full also through power loss, at a third of the write rate")
	f.StringArrayVar(&o.readTokens, "read-token", nil,
		"bearer token that may read (one per flag, repeatable, used whole: no comma splitting; with none and no --write-token, the server is open)")
	f.StringArrayVar(&o.writeTokens, "write-token", nil, "bearer token that may read and write (one per flag, repeatable, used whole)")
	f.BoolVar(&o.ui, "ui", true, "serve the web UI at / (--ui=false turns it off)")
	f.BoolVar(&o.metricsOpen, "metrics-open", false, "serve /metrics without a token even when tokens are set")
	o.maxArtifactSize = defaultMaxArtifactSize
	f.Var(&o.maxArtifactSize, "max-artifact-size", "largest artifact upload accepted, answered 413 beyond (e.g. 500MiB, 20GiB)")
	f.IntVar(&o.traceRetentionDays, "trace-retention-days", 0,
		"delete traces (with their spans and assessments) older than this many days, checked hourly; 0 keeps them forever")
	o.webhooks.AddFlags(cmd)
	return cmd
}

// uriScheme matches the scheme of a URI (two letters or more, so that a
// Windows drive is not one).
var uriScheme = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]+):`)

// artifactsDir refuses, before anything is created, an
// --artifacts-destination the server cannot store to, and returns the
// directory a file:/// URI names.
func artifactsDir(dest string) (string, error) {
	m := uriScheme.FindStringSubmatch(dest)
	if m == nil {
		return dest, nil
	}
	scheme := m[1]
	if !strings.EqualFold(scheme, "file") {
		return "", fmt.Errorf("--artifacts-destination %s: berth server cannot store artifacts to %s: URIs yet; it supports a local directory, as a path or file:///path", dest, scheme)
	}
	u, err := url.Parse(dest)
	if err != nil || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
		return "", fmt.Errorf("--artifacts-destination %s: want file:///absolute/path", dest)
	}
	return u.Path, nil
}

// runServer opens the store and the artifact directory, then serves until
// ctx is cancelled.
func runServer(ctx context.Context, o *serverOptions, log *slog.Logger) error {
	if err := sqlstore.CheckURI(o.backendStoreURI); err != nil {
		return fmt.Errorf("--backend-store-uri %s: berth server %w", sqlstore.Redact(o.backendStoreURI), err)
	}
	artifacts, err := artifactsDir(o.artifactsDestination)
	if err != nil {
		return err
	}
	sync := strings.ToUpper(o.sqliteSync)
	if sync != "NORMAL" && sync != "FULL" {
		return fmt.Errorf("--sqlite-synchronous must be normal or full, not %q", o.sqliteSync)
	}
	if o.backendStoreURI == defaultBackendStoreURI { // only the default's directory is made
		if err := sqlstore.MakeDir(o.backendStoreURI); err != nil {
			return err
		}
	}
	store, err := sqlstore.Open(ctx, o.backendStoreURI, "mlflow-artifacts:/", sqlstore.WithLogger(log), sqlstore.WithSQLiteSynchronous(sync))
	if err != nil {
		return fmt.Errorf("opening --backend-store-uri %s: %w", sqlstore.Redact(o.backendStoreURI), err)
	}
	defer store.Close()
	arts, err := server.NewLocalArtifacts(artifacts)
	if err != nil {
		return fmt.Errorf("--artifacts-destination: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts := []server.Option{server.WithLogger(log), server.WithShutdownTimeout(o.listen.Shutdown),
		server.WithTokens(o.readTokens, o.writeTokens), server.WithMetrics(reg, reg),
		server.WithBodyTimeout(o.listen.BodyTimeout), server.WithAllowedHosts(o.listen.Hosts()),
		server.WithArtifactLimit(int64(o.maxArtifactSize))}
	if o.metricsOpen {
		opts = append(opts, server.WithOpenMetrics())
	}
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
	log.Info("ready", "addr", "http://"+ln.Addr().String(), "backend", sqlstore.Redact(o.backendStoreURI),
		"artifacts", arts.Root(), "start_to_ready", time.Since(started).Round(time.Microsecond))
	return s.Serve(ctx, ln)
}
