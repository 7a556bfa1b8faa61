package options

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

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

// Store are berth server's storage flags: the tracking database, the
// artifact directory, SQLite's durability and the largest upload.
type Store struct {
	BackendStoreURI      string
	ArtifactsDestination string
	SQLiteSync           string
	MaxArtifactSize      cliflag.ByteSize
}

// AddFlags adds --backend-store-uri, --artifacts-destination,
// --sqlite-synchronous and --max-artifact-size to cmd.
func (o *Store) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.BackendStoreURI, "backend-store-uri", DefaultBackendStoreURI,
		"tracking database: sqlite:///relative.db, sqlite:////absolute.db, a file path, or postgresql://user:pass@host:port/db")
	f.StringVar(&o.ArtifactsDestination, "artifacts-destination", DefaultArtifactsDestination,
		"directory (a path or file:///path) where artifacts logged through the server are stored; object stores (s3://...) are not supported yet")
	f.StringVar(&o.SQLiteSync, "sqlite-synchronous", "normal",
		"SQLite durability: normal keeps every acknowledged write through a crash of the process (kill -9); full also through power loss, at a third of the write rate")
	o.MaxArtifactSize = defaultMaxArtifactSize
	f.Var(&o.MaxArtifactSize, "max-artifact-size", "largest artifact upload accepted, answered 413 beyond (e.g. 500MiB, 20GiB)")
}

// Open refuses, before anything is opened or created, a database or an
// artifact destination berth server cannot store to, then opens the
// database (making the default's directory) and the artifact directory.
func (o *Store) Open(ctx context.Context, log *slog.Logger) (*sqlstore.Store, *server.LocalArtifacts, error) {
	if err := sqlstore.CheckURI(o.BackendStoreURI); err != nil {
		return nil, nil, fmt.Errorf("--backend-store-uri %s: berth server %w", sqlstore.Redact(o.BackendStoreURI), err)
	}
	artifacts, err := ArtifactsDir(o.ArtifactsDestination)
	if err != nil {
		return nil, nil, err
	}
	sync := strings.ToUpper(o.SQLiteSync)
	if sync != "NORMAL" && sync != "FULL" {
		return nil, nil, fmt.Errorf("--sqlite-synchronous must be normal or full, not %q", o.SQLiteSync)
	}
	if o.BackendStoreURI == DefaultBackendStoreURI { // only the default's directory is made
		if err := sqlstore.MakeDir(o.BackendStoreURI); err != nil {
			return nil, nil, err
		}
	}
	store, err := sqlstore.Open(ctx, o.BackendStoreURI, "mlflow-artifacts:/", sqlstore.WithLogger(log), sqlstore.WithSQLiteSynchronous(sync))
	if err != nil {
		return nil, nil, fmt.Errorf("opening --backend-store-uri %s: %w", sqlstore.Redact(o.BackendStoreURI), err)
	}
	arts, err := server.NewLocalArtifacts(artifacts)
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("--artifacts-destination: %w", err)
	}
	return store, arts, nil
}

// uriScheme matches the scheme of a URI (two letters or more, so that a
// Windows drive is not one).
var uriScheme = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]+):`)

// ArtifactsDir refuses an --artifacts-destination the server cannot store
// to, and returns the directory a file:/// URI names.
func ArtifactsDir(dest string) (string, error) {
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
