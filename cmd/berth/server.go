package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/berthml/berth/server"
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
	listen               listenOptions
	backendStoreURI      string
	artifactsDestination string
	sqliteSync           string
	readTokens           []string
	writeTokens          []string
	ui                   bool
	metricsOpen          bool
	maxArtifactSize      byteSize
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
			log, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			f := cmd.Flags()
			if o.readTokens, err = tokenList(o.readTokens, f.Changed("read-token"), "--read-token", "BERTH_READ_TOKENS"); err != nil {
				return err
			}
			if o.writeTokens, err = tokenList(o.writeTokens, f.Changed("write-token"), "--write-token", "BERTH_WRITE_TOKENS"); err != nil {
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
	return cmd
}

// tokenList checks the tokens of --read-token or --write-token. Given on
// the command line (fromFlags), each flag is one token; taken from the
// environment variable, the one value is split on commas. Either way an
// empty token is refused, so that a typo or an unset variable cannot start
// a server open to all.
func tokenList(tokens []string, fromFlags bool, flag, env string) ([]string, error) {
	if !fromFlags {
		var split []string
		for _, t := range tokens {
			split = append(split, strings.Split(t, ",")...)
		}
		tokens = split
	}
	for _, t := range tokens {
		if strings.TrimSpace(t) == "" {
			if fromFlags {
				return nil, fmt.Errorf("%s: empty token: a server with an empty token would let anyone in; give a token, or leave the flag out to run the server open", flag)
			}
			return nil, fmt.Errorf("%s: empty token (the variable is empty or has an empty comma-separated entry): a server with an empty token would let anyone in; set tokens, or unset the variable to run the server open", env)
		}
		if t != strings.TrimSpace(t) {
			return nil, fmt.Errorf("%s: token %q begins or ends with blanks, which a client's Authorization header cannot carry", flag, t)
		}
	}
	return tokens, nil
}

// uriScheme matches the scheme of a URI (two letters or more, so that a
// Windows drive is not one).
var uriScheme = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]+):`)

// checkStoreURIs refuses, before anything is created, the URIs the server
// cannot store to, naming those it can.
func checkStoreURIs(o *serverOptions) error {
	if m := uriScheme.FindStringSubmatch(o.backendStoreURI); m != nil {
		switch strings.ToLower(m[1]) {
		case "sqlite", "postgresql", "postgres":
		default:
			return fmt.Errorf("--backend-store-uri %s: berth server cannot store to %s: URIs; it supports sqlite:///relative.db, sqlite:////absolute.db, a file path, and postgresql://user:pass@host:port/db",
				redact(o.backendStoreURI), m[1])
		}
	}
	if m := uriScheme.FindStringSubmatch(o.artifactsDestination); m != nil {
		if !strings.EqualFold(m[1], "file") {
			return fmt.Errorf("--artifacts-destination %s: berth server cannot store artifacts to %s: URIs yet; it supports a local directory, as a path or file:///path",
				o.artifactsDestination, m[1])
		}
		u, err := url.Parse(o.artifactsDestination)
		if err != nil || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
			return fmt.Errorf("--artifacts-destination %s: want file:///absolute/path", o.artifactsDestination)
		}
		o.artifactsDestination = u.Path
	}
	return nil
}

// runServer opens the store and the artifact directory, then serves until
// ctx is cancelled.
func runServer(ctx context.Context, o *serverOptions, log *slog.Logger) error {
	if err := checkStoreURIs(o); err != nil {
		return err
	}
	if o.backendStoreURI == defaultBackendStoreURI {
		// Only the default's directory is made; any other must exist, so
		// that a typo in a path is an error rather than a new tree.
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
	arts, err := server.NewLocalArtifacts(o.artifactsDestination)
	if err != nil {
		return fmt.Errorf("--artifacts-destination: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts := []server.Option{server.WithLogger(log), server.WithShutdownTimeout(o.listen.shutdown),
		server.WithTokens(o.readTokens, o.writeTokens), server.WithMetrics(reg, reg),
		server.WithBodyTimeout(o.listen.bodyTimeout), server.WithAllowedHosts(o.listen.hosts()),
		server.WithArtifactLimit(int64(o.maxArtifactSize))}
	if o.metricsOpen {
		opts = append(opts, server.WithOpenMetrics())
	}
	if o.listen.accessLog {
		opts = append(opts, server.WithAccessLog(log))
	}
	if o.ui {
		opts = append(opts, server.WithUI(ui.Handler()))
	}
	s := server.New(store, arts, opts...)

	ln, err := o.listen.listen()
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
