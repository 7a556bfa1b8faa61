package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/berthml/berth/registry"
	"github.com/berthml/berth/tracking/sqlstore"
	"github.com/berthml/berth/ui"
)

// Defaults of berth server: everything under ./berth-data, so that a bare
// `berth server` just works.
const (
	defaultBackendStoreURI      = "sqlite:///berth-data/berth.db"
	defaultArtifactsDestination = "berth-data/artifacts"
)

type serverOptions struct {
	host, port           string
	backendStoreURI      string
	artifactsDestination string
	shutdown             time.Duration
	accessLog            bool
	sqliteSync           string
	readTokens           []string
	writeTokens          []string
	ui                   bool
}

func newServerCmd(g *globalOptions) *cobra.Command {
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
served at http://HOST:PORT/ (--ui=false turns it off).`,
		Example: `  berth server
  berth server --port 5000 --backend-store-uri sqlite:////var/lib/berth/berth.db --artifacts-destination /var/lib/berth/artifacts
  berth server --backend-store-uri postgresql://berth:secret@db:5432/berth`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			return runServer(cmd.Context(), o, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "127.0.0.1", "address to listen on")
	f.StringVarP(&o.port, "port", "p", "5000", "port to listen on")
	f.StringVar(&o.backendStoreURI, "backend-store-uri", defaultBackendStoreURI,
		"tracking database: sqlite:///relative.db, sqlite:////absolute.db, a file path, or postgresql://user:pass@host:port/db")
	f.StringVar(&o.artifactsDestination, "artifacts-destination", defaultArtifactsDestination,
		"directory where artifacts logged through the server are stored")
	f.DurationVar(&o.shutdown, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long to wait for requests in flight")
	f.BoolVar(&o.accessLog, "access-log", false, "log one line per request (in --log-format)")
	f.StringVar(&o.sqliteSync, "sqlite-synchronous", "normal",
		"SQLite durability: normal keeps every acknowledged write through a crash of the process (kill -9); full also through power loss, at a third of the write rate")
	f.StringSliceVar(&o.readTokens, "read-token", nil, "bearer token that may read (repeatable; with none and no --write-token, the server is open)")
	f.StringSliceVar(&o.writeTokens, "write-token", nil, "bearer token that may read and write (repeatable)")
	f.BoolVar(&o.ui, "ui", true, "serve the web UI at / (--ui=false turns it off)")
	return cmd
}

// runServer opens the store and the artifact directory, then serves until
// ctx is cancelled.
func runServer(ctx context.Context, o *serverOptions, log *slog.Logger) error {
	if !isPostgres(o.backendStoreURI) {
		path, err := sqlstore.SQLitePath(o.backendStoreURI)
		if err != nil {
			return fmt.Errorf("--backend-store-uri: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("creating the database directory: %w", err)
		}
	}
	sync := strings.ToUpper(o.sqliteSync)
	if sync != "NORMAL" && sync != "FULL" {
		return fmt.Errorf("--sqlite-synchronous must be normal or full, not %q", o.sqliteSync)
	}
	store, err := sqlstore.Open(ctx, o.backendStoreURI, "mlflow-artifacts:/", sqlstore.WithLogger(log), sqlstore.WithSQLiteSynchronous(sync))
	if err != nil {
		return fmt.Errorf("opening --backend-store-uri %s: %w", redact(o.backendStoreURI), err)
	}
	defer store.Close()
	arts, err := registry.NewLocalArtifacts(o.artifactsDestination)
	if err != nil {
		return fmt.Errorf("--artifacts-destination: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts := []registry.Option{registry.WithLogger(log), registry.WithShutdownTimeout(o.shutdown),
		registry.WithTokens(o.readTokens, o.writeTokens), registry.WithMetrics(reg, reg)}
	if o.accessLog {
		opts = append(opts, registry.WithAccessLog(log))
	}
	if o.ui {
		opts = append(opts, registry.WithUI(ui.Handler()))
	}
	s := registry.New(store, arts, opts...)

	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, o.port))
	if err != nil {
		return err
	}
	log.Info("ready", "addr", "http://"+ln.Addr().String(), "backend", redact(o.backendStoreURI),
		"artifacts", arts.Root(), "start_to_ready", time.Since(started).Round(time.Microsecond))
	return s.Serve(ctx, ln)
}

func isPostgres(uri string) bool {
	return strings.HasPrefix(uri, "postgresql://") || strings.HasPrefix(uri, "postgres://")
}

// redact hides a database password for logs and errors.
func redact(uri string) string {
	if u, err := url.Parse(uri); err == nil && u.User != nil {
		return u.Redacted()
	}
	return uri
}
