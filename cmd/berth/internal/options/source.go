package options

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/flavors/onnx"
	"github.com/berthml/berth/internal/progress"
	"github.com/berthml/berth/modeluri"
)

// Source are the flags of commands that load models:/ URIs: the
// registry's, --cache-dir and --allow-local-sources.
type Source struct {
	Registry
	CacheDir   string
	AllowLocal bool
	// PromptEndpoint is the gateway endpoint of prompts:/ versions.
	PromptEndpoint string
	// S3EndpointURL and S3IgnoreTLS reach the bucket of versions whose
	// source is s3:// (MLFLOW_S3_ENDPOINT_URL, MLFLOW_S3_IGNORE_TLS); the
	// AWS SDK reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION
	// and the shared config itself.
	S3EndpointURL string
	S3IgnoreTLS   bool
}

// AddFlags adds the registry flags, --cache-dir and --allow-local-sources
// to cmd.
func (o *Source) AddFlags(cmd *cobra.Command) {
	o.Registry.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.CacheDir, "cache-dir", "", "where models downloaded from the registry are kept (default: the user cache dir)/berth/models")
	f.BoolVar(&o.AllowLocal, "allow-local-sources", false, allowLocalUsage)
	f.StringVar(&o.S3EndpointURL, "s3-endpoint-url", "",
		"endpoint of the S3-compatible store that models:/ versions with s3:// sources are read from (SeaweedFS, Ceph, ...), addressed path-style; default: AWS")
	f.BoolVar(&o.S3IgnoreTLS, "s3-ignore-tls", false, "do not verify the S3 endpoint's TLS certificate")
	f.StringVar(&o.PromptEndpoint, "prompt-endpoint", "", "the gateway endpoint a prompts:/NAME@ALIAS or prompts:/NAME/VERSION is sent to (default: the version's model_config model_name); the gateway is $MLFLOW_DEPLOYMENTS_TARGET, its token $MLFLOW_DEPLOYMENTS_TOKEN")
}

const allowLocalUsage = "load models:/ versions whose files are on this machine's file system (file:// or absolute paths) rather than in the registry's artifact store"

// Resolver returns a resolver of models:/ URIs against the registry,
// downloading into the cache directory and logging each download.
func (o *Source) Resolver(log *slog.Logger) (*modeluri.Resolver, error) {
	if o.URI == "" {
		return nil, fmt.Errorf("a models:/ URI needs a registry: give --registry-uri (or set BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)")
	}
	if err := CheckRegistryURI(o.URI); err != nil {
		return nil, err
	}
	dir := o.CacheDir
	if dir == "" {
		var err error
		if dir, err = modeluri.DefaultCacheDir(); err != nil {
			return nil, fmt.Errorf("finding a cache directory (give --cache-dir): %w", err)
		}
	}
	return modeluri.NewResolver(o.URI, dir,
		modeluri.WithToken(o.Token),
		modeluri.WithLocalSources(o.AllowLocal),
		modeluri.WithPromptEndpoint(o.PromptEndpoint),
		modeluri.WithProgress(downloadProgress(log)),
		modeluri.WithObjectStores(o.openObjects))
}

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

// Fetch returns a model given as a directory (only Dir set), or resolves
// a models:/ URI and downloads that version into the cache.
func (o *Source) Fetch(ctx context.Context, arg string, log *slog.Logger) (*modeluri.Fetched, error) {
	if !modeluri.IsModelURI(arg) {
		return &modeluri.Fetched{Dir: arg}, nil
	}
	if _, err := modeluri.Parse(arg); err != nil { // a malformed URI is told before a missing registry
		return nil, err
	}
	r, err := o.Resolver(log)
	if err != nil {
		return nil, err
	}
	return modeluri.Fetch(ctx, r, arg)
}

// Runtime is --ort-lib, the ONNX Runtime library.
type Runtime struct {
	ORTLib string
}

// AddFlags adds --ort-lib to cmd.
func (o *Runtime) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.ORTLib, "ort-lib", "", "path to libonnxruntime.so (default: the cache that \"make ort\" fills)")
}

// Init loads the library from --ort-lib, else from the cache.
func (o *Runtime) Init() error {
	path, err := o.LibraryPath()
	if err != nil {
		return err
	}
	return onnx.Init(path)
}

// LibraryPath returns --ort-lib, else the library in the cache.
func (o *Runtime) LibraryPath() (string, error) {
	if o.ORTLib != "" {
		return o.ORTLib, nil
	}
	return onnx.DefaultLibraryPath()
}
