package modeluri

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/berthml/berth/blob"
)

// ObjectStore reads the files of a version whose source is in a bucket
// (s3://bucket/key, as MLflow records for versions logged straight to the
// bucket under `mlflow server --no-serve-artifacts`), rooted at that key.
// blob/s3's Store is one.
type ObjectStore interface {
	// List returns the entries of dir ("" is the root), paths relative to
	// dir.
	List(ctx context.Context, dir string) ([]blob.FileInfo, error)
	// Get opens the file at p, streamed.
	Get(ctx context.Context, p string) (io.ReadCloser, error)
}

// OpenObjectStore opens the store rooted at an artifact URI such as
// s3://bucket/prefix.
type OpenObjectStore func(ctx context.Context, uri string) (ObjectStore, error)

// WithObjectStores lets Download read versions whose source (or run
// artifact location) is an s3:// URI straight from the bucket, through
// open: berth's commands open blob/s3 with MLflow's settings
// (MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_REGION, MLFLOW_S3_IGNORE_TLS). Default: nil, and such versions are
// refused with an error that says so.
func WithObjectStores(open OpenObjectStore) Option { return func(r *Resolver) { r.objects = open } }

// ErrNoObjectStore is a version stored in a bucket, asked of a Resolver
// without WithObjectStores.
var ErrNoObjectStore = errors.New("the version's files are in a bucket (s3://) and this resolver reads none")

// downloadObjects fetches the files under an s3:// uri into the cache,
// as Download does from the registry's proxy.
func (r *Resolver) downloadObjects(ctx context.Context, v *Version, uri string) (string, error) {
	if r.objects == nil {
		return "", fmt.Errorf("downloading %s version %s from %s: %w", v.Name, v.Version, uri, ErrNoObjectStore)
	}
	indexFile := filepath.Join(r.cacheDir, "index", hashString(uri))
	if b, err := os.ReadFile(indexFile); err == nil {
		dir := filepath.Join(r.cacheDir, strings.TrimSpace(string(b)))
		if _, err := os.Stat(filepath.Join(dir, "MLmodel")); err == nil {
			return dir, nil
		}
	}
	st, err := r.objects(ctx, strings.TrimRight(uri, "/"))
	if err != nil {
		return "", fmt.Errorf("downloading %s version %s: opening %s: %w", v.Name, v.Version, uri, err)
	}
	dir, err := r.fetch(ctx, objectSource{st, strings.TrimRight(uri, "/")})
	if err != nil {
		return "", fmt.Errorf("downloading %s version %s from %s: %w", v.Name, v.Version, uri, err)
	}
	if err := os.MkdirAll(filepath.Dir(indexFile), 0o755); err == nil {
		os.WriteFile(indexFile, []byte(filepath.Base(dir)+"\n"), 0o644)
	}
	return dir, nil
}

// objectSource reads a version's files from a bucket.
type objectSource struct {
	st  ObjectStore
	uri string
}

func (o objectSource) String() string { return o.uri }

func (o objectSource) list(ctx context.Context, dir string) ([]entry, error) {
	files, err := o.st.List(ctx, dir)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(files))
	for _, f := range files {
		out = append(out, entry{f.Path, f.IsDir, f.Size})
	}
	return out, nil
}

func (o objectSource) open(ctx context.Context, rel string) (io.ReadCloser, error) {
	return o.st.Get(ctx, rel)
}
