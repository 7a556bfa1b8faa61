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
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/flavors/onnx"
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
		c, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("finding a cache directory (give --cache-dir): %w", err)
		}
		dir = filepath.Join(c, "berth", "models")
	}
	return modeluri.NewResolver(o.uri, dir,
		modeluri.WithToken(o.token),
		modeluri.WithLocalSources(o.allowLocal),
		modeluri.WithProgress(downloadProgress(log)))
}

// fetch returns the directory of a model given as a directory, or resolves
// a models:/ URI and downloads that version into the cache: then u is the
// parsed URI and v the version (both nil for a directory).
func (o *sourceOptions) fetch(ctx context.Context, arg string, log *slog.Logger) (dir string, u *modeluri.URI, v *modeluri.Version, err error) {
	if !modeluri.IsModelURI(arg) {
		return arg, nil, nil, nil
	}
	parsed, err := modeluri.Parse(arg)
	if err != nil {
		return "", nil, nil, err
	}
	r, err := newResolver(o, log)
	if err != nil {
		return "", nil, nil, err
	}
	if v, err = r.Resolve(ctx, parsed); err != nil {
		return "", nil, nil, fmt.Errorf("resolving %s: %w", arg, err)
	}
	if dir, err = r.Download(ctx, v); err != nil {
		return "", nil, nil, fmt.Errorf("downloading %s: %w", arg, err)
	}
	return dir, &parsed, v, nil
}

// runtimeOptions is --ort-lib, the ONNX Runtime library.
type runtimeOptions struct {
	ortLib string
}

// AddFlags adds --ort-lib to cmd.
func (o *runtimeOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.ortLib, "ort-lib", "", "path to libonnxruntime.so (default: the cache that \"make ort\" fills)")
}

// init loads the library.
func (o *runtimeOptions) init() error { return initORT(o.ortLib) }

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
