package modelpack

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Progress reports how far a long operation (Build hashing files, Push,
// Pull) has got. Path names the file being worked on, where there is one.
type Progress struct {
	Path     string // file relative to the model directory; "" for Push
	Complete int64  // bytes done so far
	Total    int64  // bytes in all; 0 when unknown
}

// Option configures Build, Push and Pull; each says which it applies to.
type Option func(*options)

type options struct {
	created         *time.Time
	name, version   string
	weightThreshold int64
	progress        func(Progress)
	keychain        authn.Keychain
	insecure        bool
	transport       http.RoundTripper
	maxSize         int64
}

func makeOptions(opts []Option) options {
	o := options{weightThreshold: 1 << 20, keychain: authn.DefaultKeychain, maxSize: DefaultMaxSize}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func (o *options) report(p Progress) {
	if o.progress != nil {
		o.progress(p)
	}
}

// WithCreated sets the config's descriptor.createdAt (Build). The default
// is the MLmodel's utc_time_created, and none when that is missing. The
// CLI passes SOURCE_DATE_EPOCH here; see ParseSourceDateEpoch.
func WithCreated(t time.Time) Option {
	return func(o *options) { t := t.UTC(); o.created = &t }
}

// WithName sets descriptor.name (Build). The default is the base name of
// the model directory.
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithVersion sets descriptor.version (Build). The default is none.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// WithWeightThreshold sets the size from which any file is a weight layer
// (Build). The default is 1 MiB.
func WithWeightThreshold(n int64) Option { return func(o *options) { o.weightThreshold = n } }

// WithProgress calls fn as Build hashes files, Push uploads and Pull
// writes. fn is called from the calling goroutine or one other, never
// concurrently. The default is no reports.
func WithProgress(fn func(Progress)) Option { return func(o *options) { o.progress = fn } }

// WithKeychain sets where Push and Pull find registry credentials. The
// default is authn.DefaultKeychain (~/.docker/config.json and helpers).
func WithKeychain(k authn.Keychain) Option { return func(o *options) { o.keychain = k } }

// WithInsecure lets Push and Pull talk plain HTTP to the registry. The
// default is HTTPS, except for localhost and 127.0.0.1, which go-containerregistry
// already reaches over HTTP.
func WithInsecure(insecure bool) Option { return func(o *options) { o.insecure = insecure } }

// DefaultMaxSize is the default of WithMaxSize: 256 GiB.
const DefaultMaxSize int64 = 256 << 30

// WithMaxSize bounds the bytes Pull writes, all files together, so that a
// hostile artifact (a gzip bomb, a huge descriptor) cannot fill the disk.
// The default is DefaultMaxSize.
func WithMaxSize(n int64) Option { return func(o *options) { o.maxSize = n } }

// WithTransport sets the HTTP transport of Push and Pull. The default is
// remote.DefaultTransport.
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// ParseSourceDateEpoch parses a SOURCE_DATE_EPOCH value (seconds since
// 1970-01-01 UTC) for WithCreated.
func ParseSourceDateEpoch(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("parsing SOURCE_DATE_EPOCH %q: %w", s, err)
	}
	return time.Unix(n, 0).UTC(), nil
}
