package pack

import (
	"compress/gzip"
	"context"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/berthml/berth/internal/buildinfo"
)

// Option configures Build, Push, WriteLayout and WriteTarball. Each option
// says which of them read it.
type Option func(*options)

// Progress reports how a long operation advances.
type Progress struct {
	// Phase is "layer" while Build makes layers and "push" while Push
	// uploads.
	Phase string
	// Layer describes the layer just made (Phase "layer") or names the
	// digest of the layer being uploaded (Phase "push"); it is "" for the
	// whole push's progress.
	Layer string
	// Complete and Total count layers (Phase "layer") or bytes (Phase
	// "push"); Total is 0 when not known yet. A retried layer upload
	// starts again from 0.
	Complete, Total int64
}

// LibraryResolver lists the absolute host paths of the shared libraries the
// given executables and libraries load, the dynamic loader included.
type LibraryResolver func(ctx context.Context, files ...string) ([]string, error)

type options struct {
	binary       string
	ortLib       string
	base         string
	platform     v1.Platform
	created      *time.Time
	modelName    string
	modelVersion string
	source       string
	berthVersion string
	largeFile    int64
	level        int
	resolveLibs  LibraryResolver
	progress     func(Progress)
	insecure     bool
	keychain     authn.Keychain
	transport    http.RoundTripper
	backoff      remote.Backoff
	retryStatus  []int
	verify       bool
	shell        string
}

func makeOptions(opts []Option) *options {
	o := &options{
		platform:     v1.Platform{OS: "linux", Architecture: "amd64"},
		berthVersion: buildinfo.Version,
		largeFile:    1 << 20,
		level:        gzip.BestSpeed,
		resolveLibs:  HostLibraries,
		progress:     func(Progress) {},
		keychain:     authn.DefaultKeychain,
		transport:    remote.DefaultTransport,
		backoff:      remote.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: 5},
		retryStatus: []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
		verify: true,
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithBinary sets the berth executable to put in the image (Build).
// Default: the running executable (os.Executable).
func WithBinary(path string) Option { return func(o *options) { o.binary = path } }

// WithORTLibrary sets the ONNX Runtime shared library to put in the image
// (Build). Required: there is no default.
func WithORTLibrary(path string) Option { return func(o *options) { o.ortLib = path } }

// WithBase builds on a base image instead of the build host's libraries
// (Build): a registry reference, or oci:DIR[:TAG] for an OCI layout
// directory. The base must provide the C and C++ runtime libraries berth and
// ONNX Runtime need. Default: none.
func WithBase(ref string) Option { return func(o *options) { o.base = ref } }

// WithPlatform sets the image's platform (Build, and the base image's
// platform). Default: linux/amd64.
func WithPlatform(p v1.Platform) Option { return func(o *options) { o.platform = p } }

// WithTime sets the time of every file in the image and the image's creation
// time (Build), as SOURCE_DATE_EPOCH does for other tools. Default: file
// times are the Unix epoch, and the creation time is the MLmodel's
// utc_time_created (the epoch when it has none).
func WithTime(t time.Time) Option {
	return func(o *options) { t = t.UTC().Truncate(time.Second); o.created = &t }
}

// WithModelName sets the model's name in the labels (Build). Default: the
// model directory's base name.
func WithModelName(name string) Option { return func(o *options) { o.modelName = name } }

// WithModelVersion sets the model's version in the labels (Build). Default:
// none (the label is left out).
func WithModelVersion(v string) Option { return func(o *options) { o.modelVersion = v } }

// WithSource sets where the model came from, e.g. its models:/ URI
// (Build, label org.opencontainers.image.source). Default: none.
func WithSource(s string) Option { return func(o *options) { o.source = s } }

// WithBerthVersion sets the berth version recorded in the labels (Build).
// Default: this build's version (buildinfo.Version).
func WithBerthVersion(v string) Option { return func(o *options) { o.berthVersion = v } }

// WithLargeFileSize sets the size from which a model file gets a layer of its
// own (Build). Default: 1 MiB.
func WithLargeFileSize(n int64) Option { return func(o *options) { o.largeFile = n } }

// WithCompressionLevel sets the gzip level of the layers (Build). Default:
// gzip.DefaultCompression.
func WithCompressionLevel(level int) Option { return func(o *options) { o.level = level } }

// WithLibraryResolver sets how Build finds the host libraries to copy when
// there is no base image. Default: HostLibraries (ldd).
func WithLibraryResolver(r LibraryResolver) Option { return func(o *options) { o.resolveLibs = r } }

// WithProgress receives progress reports (Build, Push); Push calls it from
// one goroutine at a time. Default: none.
func WithProgress(f func(Progress)) Option { return func(o *options) { o.progress = f } }

// WithInsecure allows plain HTTP registries (Push, and Build's base image).
// Default: false.
func WithInsecure(insecure bool) Option { return func(o *options) { o.insecure = insecure } }

// WithKeychain sets where registry credentials come from (Push, and Build's
// base image). Default: authn.DefaultKeychain (Docker's config.json).
func WithKeychain(k authn.Keychain) Option { return func(o *options) { o.keychain = k } }

// WithTransport sets the HTTP transport to registries (Push, and Build's base
// image). Default: remote.DefaultTransport.
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithRetry sets the backoff between retries of a failed registry request
// (Push). Default: 1s, doubling, 5 tries.
func WithRetry(b remote.Backoff) Option { return func(o *options) { o.backoff = b } }

// WithVerify says whether Push reads the manifest back after pushing and
// checks its digest. Default: true.
func WithVerify(verify bool) Option { return func(o *options) { o.verify = verify } }
