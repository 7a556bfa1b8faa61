//go:build !servingonly

package options

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/blob"
	"github.com/berthml/berth/blob/s3"
	"github.com/berthml/berth/internal/cliflag"
	"github.com/berthml/berth/server"
	"github.com/berthml/berth/tracking/sqlstore"
)

// Defaults of berth server: everything under ./berth-data, so that a bare
// `berth server` just works.
const (
	DefaultBackendStoreURI      = "sqlite:///berth-data/berth.db"
	DefaultArtifactsDestination = "berth-data/artifacts"
	defaultMaxArtifactSize      = 5 << 30
)

// Store are berth server's storage flags: the tracking database, where
// artifacts are kept (a directory or an S3 bucket, with the S3 endpoint
// settings MLflow users already set), whether the server proxies them,
// SQLite's durability and the largest upload.
type Store struct {
	BackendStoreURI      string
	ArtifactsDestination string
	NoServeArtifacts     bool
	DefaultArtifactRoot  string
	S3EndpointURL        string
	S3IgnoreTLS          bool
	SQLiteSync           string
	MaxArtifactSize      cliflag.ByteSize
}

// AddFlags adds --backend-store-uri, --artifacts-destination,
// --no-serve-artifacts, --default-artifact-root, --s3-endpoint-url,
// --s3-ignore-tls, --sqlite-synchronous and --max-artifact-size to cmd.
func (o *Store) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.BackendStoreURI, "backend-store-uri", DefaultBackendStoreURI,
		"tracking database: sqlite:///relative.db, sqlite:////absolute.db, a file path, or postgresql://user:pass@host:port/db")
	f.StringVar(&o.ArtifactsDestination, "artifacts-destination", DefaultArtifactsDestination,
		"where artifacts are stored: a directory (a path or file:///path) or an S3 bucket, s3://bucket/prefix "+
			"(credentials from the AWS chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, IAM roles; region from AWS_REGION; "+
			"gs:// and azblob:// are not supported)")
	f.BoolVar(&o.NoServeArtifacts, "no-serve-artifacts", false,
		"do not proxy artifacts (as MLflow's flag): new experiments get artifact locations under --default-artifact-root, which clients write to directly, "+
			"and the mlflow-artifacts routes answer 503")
	f.StringVar(&o.DefaultArtifactRoot, "default-artifact-root", "",
		"with --no-serve-artifacts: the artifact root new experiments are given (default: --artifacts-destination as a URI, e.g. s3://bucket/prefix)")
	f.StringVar(&o.S3EndpointURL, "s3-endpoint-url", "",
		"endpoint of an S3-compatible store (SeaweedFS, Ceph, ...), addressed path-style; default: AWS")
	f.BoolVar(&o.S3IgnoreTLS, "s3-ignore-tls", false, "do not verify the S3 endpoint's TLS certificate")
	f.StringVar(&o.SQLiteSync, "sqlite-synchronous", "normal",
		"SQLite durability: normal keeps every acknowledged write through a crash of the process (kill -9); full also through power loss, at a third of the write rate")
	o.MaxArtifactSize = defaultMaxArtifactSize
	f.Var(&o.MaxArtifactSize, "max-artifact-size", "largest artifact upload accepted, answered 413 beyond (e.g. 500MiB, 20GiB)")
}

// Open refuses, before anything is opened or created, a database or an
// artifact destination berth server cannot store to, then opens the
// artifact store (checking that an S3 bucket answers) and the database
// (making the default's directory).
func (o *Store) Open(ctx context.Context, log *slog.Logger) (*sqlstore.Store, blob.Store, error) {
	if err := sqlstore.CheckURI(o.BackendStoreURI); err != nil {
		return nil, nil, fmt.Errorf("--backend-store-uri %s: berth server %w", sqlstore.Redact(o.BackendStoreURI), err)
	}
	dir, s3uri, err := ArtifactsDestination(o.ArtifactsDestination)
	if err != nil {
		return nil, nil, err
	}
	if o.DefaultArtifactRoot != "" && !o.NoServeArtifacts {
		return nil, nil, fmt.Errorf("--default-artifact-root is for --no-serve-artifacts; with the proxy, experiments get mlflow-artifacts:/ locations under --artifacts-destination")
	}
	sync := strings.ToUpper(o.SQLiteSync)
	if sync != "NORMAL" && sync != "FULL" {
		return nil, nil, fmt.Errorf("--sqlite-synchronous must be normal or full, not %q", o.SQLiteSync)
	}
	// The bucket is checked before anything is created here; the local
	// directory is made only once the database opened.
	var arts blob.Store
	if s3uri != "" {
		if arts, err = s3.Open(ctx, s3uri, o.s3Options()...); err != nil {
			return nil, nil, fmt.Errorf("--artifacts-destination %s: %w", o.ArtifactsDestination, err)
		}
	}
	root := "mlflow-artifacts:/"
	if o.NoServeArtifacts {
		root = o.DefaultArtifactRoot
		if root == "" {
			root = localURI(dir)
			if arts != nil {
				root = arts.(blob.Locator).URI()
			}
		}
	}
	if o.BackendStoreURI == DefaultBackendStoreURI { // only the default's directory is made
		if err := sqlstore.MakeDir(o.BackendStoreURI); err != nil {
			return nil, nil, err
		}
	}
	store, err := sqlstore.Open(ctx, o.BackendStoreURI, root, sqlstore.WithLogger(log), sqlstore.WithSQLiteSynchronous(sync))
	if err != nil {
		return nil, nil, fmt.Errorf("opening --backend-store-uri %s: %w", sqlstore.Redact(o.BackendStoreURI), err)
	}
	if arts == nil {
		if arts, err = blob.NewLocal(dir); err != nil {
			store.Close()
			return nil, nil, fmt.Errorf("--artifacts-destination: %w", err)
		}
	}
	return store, arts, nil
}

// localURI is the file:// URI of directory dir, made absolute.
func localURI(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

// s3Options are the S3 store's options from the flags (and so from
// MLFLOW_S3_ENDPOINT_URL and MLFLOW_S3_IGNORE_TLS); the AWS SDK reads the
// AWS_* variables, shared config files and instance roles itself.
func (o *Store) s3Options() []s3.Option {
	var opts []s3.Option
	if o.S3EndpointURL != "" {
		opts = append(opts, s3.WithEndpoint(o.S3EndpointURL))
	}
	if o.S3IgnoreTLS {
		opts = append(opts, s3.WithInsecureTLS())
	}
	return opts
}

// ServerBodies are berth server's limits on JSON request bodies.
type ServerBodies struct {
	Limit  cliflag.ByteSize
	Budget cliflag.ByteSize
}

// AddFlags adds --body-limit and --body-budget to cmd.
func (o *ServerBodies) AddFlags(cmd *cobra.Command) {
	o.Limit, o.Budget = 64<<20, server.DefaultBodyBudget
	f := cmd.Flags()
	f.Var(&o.Limit, "body-limit", "largest JSON request body accepted (artifact uploads have --max-artifact-size)")
	f.Var(&o.Budget, "body-budget", "the memory request bodies may hold at once, read and decoded (about 256 bytes per JSON value); a request past it gets 503 with Retry-After (0: no bound)")
}

// Options are the server's options for these flags.
func (o *ServerBodies) Options() []server.Option {
	return []server.Option{server.WithBodyLimit(int64(o.Limit)), server.WithBodyBudget(int64(o.Budget))}
}

// ServerOptions are the server's options for these flags.
func (o *Store) ServerOptions() []server.Option {
	opts := []server.Option{server.WithArtifactLimit(int64(o.MaxArtifactSize))}
	if o.NoServeArtifacts {
		opts = append(opts, server.WithoutArtifactServing())
	}
	return opts
}

// Describe names an opened artifact store for the log: its directory or
// its s3:// URI.
func Describe(arts blob.Store) string {
	switch a := arts.(type) {
	case *blob.Local:
		return a.Root()
	case blob.Locator:
		return a.URI()
	}
	return fmt.Sprintf("%T", arts)
}

// uriScheme matches the scheme of a URI (two letters or more, so that a
// Windows drive is not one).
var uriScheme = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]+):`)

// ArtifactsDestination refuses an --artifacts-destination the server
// cannot store to, and returns either the directory it names (a path or
// file:///path) or its s3:// URI.
func ArtifactsDestination(dest string) (dir, s3uri string, err error) {
	m := uriScheme.FindStringSubmatch(dest)
	if m == nil {
		return dest, "", nil
	}
	switch scheme := strings.ToLower(m[1]); scheme {
	case "file":
		u, err := url.Parse(dest)
		if err != nil || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
			return "", "", fmt.Errorf("--artifacts-destination %s: want file:///absolute/path", dest)
		}
		return u.Path, "", nil
	case "s3":
		if _, _, err := s3.ParseURI(dest); err != nil {
			return "", "", fmt.Errorf("--artifacts-destination: %w", err)
		}
		return "", dest, nil
	case "gs", "wasbs", "azblob", "abfss":
		return "", "", fmt.Errorf("--artifacts-destination %s: berth server cannot store artifacts to %s: URIs (Google Cloud Storage and Azure Blob Storage are not built in); "+
			"it supports a local directory and S3 or an S3-compatible store (s3://bucket/prefix with --s3-endpoint-url)", dest, m[1])
	default:
		return "", "", fmt.Errorf("--artifacts-destination %s: berth server cannot store artifacts to %s: URIs; it supports a local directory, as a path or file:///path, and s3://bucket/prefix", dest, m[1])
	}
}

// Tokens are berth server's bearer tokens: --read-token, --write-token
// and --metrics-open.
type Tokens struct {
	Read, Write []string
	MetricsOpen bool
}

// AddFlags adds the token flags to cmd.
func (o *Tokens) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&o.Read, "read-token", nil,
		"bearer token that may read (one per flag, repeatable, used whole: no comma splitting; with none and no --write-token, the server is open)")
	f.StringArrayVar(&o.Write, "write-token", nil, "bearer token that may read and write (one per flag, repeatable, used whole)")
	f.BoolVar(&o.MetricsOpen, "metrics-open", false, "serve /metrics without a token even when tokens are set")
}

// Resolve splits tokens that came from BERTH_READ_TOKENS or
// BERTH_WRITE_TOKENS on commas (those from flags are used whole) and
// refuses empty ones.
func (o *Tokens) Resolve(cmd *cobra.Command) error {
	f, err := cmd.Flags(), error(nil)
	if o.Read, err = cliflag.TokenList(o.Read, f.Changed("read-token"), "--read-token", "BERTH_READ_TOKENS"); err != nil {
		return err
	}
	o.Write, err = cliflag.TokenList(o.Write, f.Changed("write-token"), "--write-token", "BERTH_WRITE_TOKENS")
	return err
}

// Options returns the server's token options.
func (o *Tokens) Options() []server.Option {
	opts := []server.Option{server.WithTokens(o.Read, o.Write)}
	if o.MetricsOpen {
		opts = append(opts, server.WithOpenMetrics())
	}
	return opts
}
