package main

// Flag groups that several commands share, each with an AddFlags method,
// as ko's pkg/commands/options does: a command embeds the groups it needs
// and never builds another command's options to reach a helper.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
	"github.com/berthml/berth/internal/httpguard"
	"github.com/berthml/berth/internal/progress"
	"github.com/berthml/berth/modeluri"
)

// registryOptions are the flags of every command that talks to the
// registry: --registry-uri and --registry-token.
type registryOptions struct {
	uri, token string
}

// AddFlags adds --registry-uri and --registry-token to cmd.
func (o *registryOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.uri, "registry-uri", "", "the registry, an MLflow-compatible tracking server (models:/ URIs are resolved against it)")
	f.StringVar(&o.token, "registry-token", "", "bearer token for the registry")
}

// client returns a client of the registry, which must be given.
func (o *registryOptions) client() (*mlflowrest.Client, error) {
	if o.uri == "" {
		return nil, fmt.Errorf("no registry: give --registry-uri (or set BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)")
	}
	if err := checkRegistryURI(o.uri); err != nil {
		return nil, err
	}
	return o.newClient(), nil
}

// newClient returns a client of the registry without checking the URI.
func (o *registryOptions) newClient() *mlflowrest.Client {
	return &mlflowrest.Client{BaseURL: o.uri, Token: o.token}
}

// sourceOptions are the flags of commands that load models:/ URIs: the
// registry's, --cache-dir and --allow-local-sources.
type sourceOptions struct {
	registryOptions
	cacheDir   string
	allowLocal bool
}

// AddFlags adds the registry flags, --cache-dir and --allow-local-sources
// to cmd.
func (o *sourceOptions) AddFlags(cmd *cobra.Command) {
	o.registryOptions.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.cacheDir, "cache-dir", "", "where models downloaded from the registry are kept (default: the user cache dir)/berth/models")
	f.BoolVar(&o.allowLocal, "allow-local-sources", false, allowLocalUsage)
}

// newResolver returns a resolver of models:/ URIs against the registry,
// downloading into the cache directory and logging each download.
func newResolver(o *sourceOptions, log *slog.Logger) (*modeluri.Resolver, error) {
	if o.uri == "" {
		return nil, fmt.Errorf("a models:/ URI needs a registry: give --registry-uri (or set BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)")
	}
	if err := checkRegistryURI(o.uri); err != nil {
		return nil, err
	}
	dir := o.cacheDir
	if dir == "" {
		var err error
		if dir, err = modeluri.DefaultCacheDir(); err != nil {
			return nil, fmt.Errorf("finding a cache directory (give --cache-dir): %w", err)
		}
	}
	return modeluri.NewResolver(o.uri, dir,
		modeluri.WithToken(o.token),
		modeluri.WithLocalSources(o.allowLocal),
		modeluri.WithProgress(downloadProgress(log)))
}

const allowLocalUsage = "load models:/ versions whose files are on this machine's file system (file:// or absolute paths) rather than in the registry's artifact store"

// downloadProgress logs a model download as one line once its last file is
// in (each file only at debug level: a model has eight or so, and a line
// per file was most of what `make demo` printed).
func downloadProgress(log *slog.Logger) func(modeluri.Progress) {
	return func(p modeluri.Progress) {
		log.Debug("downloaded file", "file", p.File, "files", fmt.Sprintf("%d/%d", p.Files, p.TotalFiles),
			"bytes", fmt.Sprintf("%d/%d", p.Bytes, p.TotalBytes))
		if p.Files == p.TotalFiles {
			log.Info("downloaded model", "files", p.TotalFiles, "size", progress.Bytes(p.TotalBytes))
		}
	}
}

// fetch returns a model given as a directory (only Dir set), or resolves
// a models:/ URI and downloads that version into the cache.
func (o *sourceOptions) fetch(ctx context.Context, arg string, log *slog.Logger) (*modeluri.Fetched, error) {
	if !modeluri.IsModelURI(arg) {
		return &modeluri.Fetched{Dir: arg}, nil
	}
	if _, err := modeluri.Parse(arg); err != nil { // a malformed URI is told before a missing registry
		return nil, err
	}
	r, err := newResolver(o, log)
	if err != nil {
		return nil, err
	}
	return modeluri.Fetch(ctx, r, arg)
}

// modelSource are the flags that find a model given as a directory or a
// models:/ URI, and load it.
type modelSource struct {
	sourceOptions
	runtimeOptions
}

// AddFlags adds the flags of both groups to cmd.
func (o *modelSource) AddFlags(cmd *cobra.Command) {
	o.sourceOptions.AddFlags(cmd)
	o.runtimeOptions.AddFlags(cmd)
}

// open resolves and downloads a models:/ URI, or takes a directory, and
// loads the model.
func (o *modelSource) open(ctx context.Context, arg string, log *slog.Logger) (*evaluate.Subject, error) {
	f, err := o.fetch(ctx, arg, log)
	if err != nil {
		return nil, err
	}
	m := &evaluate.Subject{URI: arg, Dir: f.Dir}
	if v := f.Version; v != nil {
		m.Name, m.Version = v.Name, v.Version
	}
	if err := o.init(); err != nil {
		return nil, err
	}
	if m.Loaded, err = flavors.Load(ctx, f.Dir, flavors.LoadOptions{Logger: log}); err != nil {
		return nil, fmt.Errorf("loading %s: %w", arg, err)
	}
	return m, nil
}

// runtimeOptions is --ort-lib, the ONNX Runtime library.
type runtimeOptions struct {
	ortLib string
}

// AddFlags adds --ort-lib to cmd.
func (o *runtimeOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.ortLib, "ort-lib", "", "path to libonnxruntime.so (default: the cache that \"make ort\" fills)")
}

// init loads the library from --ort-lib, else from the cache.
func (o *runtimeOptions) init() error {
	path, err := o.libraryPath()
	if err != nil {
		return err
	}
	return onnx.Init(path)
}

// libraryPath returns --ort-lib, else the library in the cache.
func (o *runtimeOptions) libraryPath() (string, error) {
	if o.ortLib != "" {
		return o.ortLib, nil
	}
	return onnx.DefaultLibraryPath()
}

// ociOptions are the flags of commands that talk to an OCI registry
// (pack, pull): --insecure.
type ociOptions struct {
	insecure bool
}

// AddFlags adds --insecure to cmd.
func (o *ociOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.insecure, "insecure", false, "allow plain HTTP to the OCI registry (localhost always may)")
}

// outputOptions is -o: a table or JSON.
type outputOptions struct {
	format string
}

// AddFlags adds --output (-o) to cmd.
func (o *outputOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "table", "table or json")
}

func (o *outputOptions) check() error {
	if o.format != "table" && o.format != "json" {
		return fmt.Errorf("--output must be table or json, not %q", o.format)
	}
	return nil
}

// print writes v as indented JSON, or calls table to write a table.
func (o *outputOptions) print(w io.Writer, v any, table func(*tabwriter.Writer)) error {
	if o.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// registryClient returns a client of the registry, or nil when none is
// given.
func (o *registryOptions) registryClient() *mlflowrest.Client {
	if o.uri == "" {
		return nil
	}
	return o.newClient()
}

// listenOptions are the flags of both servers (berth serve, berth
// server) that say where they listen and how they guard it.
type listenOptions struct {
	host, port   string
	bodyTimeout  time.Duration
	allowedHosts []string
	shutdown     time.Duration
	accessLog    bool
}

// AddFlags adds --host, --port (default port), --body-timeout,
// --allowed-hosts, --shutdown-timeout and --access-log to cmd.
func (o *listenOptions) AddFlags(cmd *cobra.Command, port string) {
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "127.0.0.1", "address to listen on")
	f.StringVarP(&o.port, "port", "p", port, "port to listen on")
	f.DurationVar(&o.bodyTimeout, "body-timeout", httpguard.DefaultBodyTimeout, "answer 408 to a request whose body has not arrived after this (0 disables)")
	f.StringSliceVar(&o.allowedHosts, "allowed-hosts", nil, "Host header values answered, against DNS rebinding (comma list or repeated; * for any; default: the loopback names when --host is a loopback address, else any); health routes and /version answer any")
	f.DurationVar(&o.shutdown, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long to wait for requests in flight")
	f.BoolVar(&o.accessLog, "access-log", false, "log one line per request (in --log-format)")
}

// hosts is --allowed-hosts, or by default the loopback names when the
// server listens on a loopback address (nil, no check, otherwise).
func (o *listenOptions) hosts() []string {
	if len(o.allowedHosts) > 0 {
		return o.allowedHosts
	}
	return httpguard.DefaultAllowedHosts(o.host)
}

// listen opens the listening socket.
func (o *listenOptions) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, o.port))
	if err != nil {
		return nil, fmt.Errorf("%w (is another server on that port? give --port)", err)
	}
	return ln, nil
}
