package modeluri

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// DefaultCacheDir is where downloaded models are kept unless told
// otherwise: berth/models under the user's cache directory
// (os.UserCacheDir, such as ~/.cache/berth/models).
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "berth", "models"), nil
}

// Fetched is a models:/ URI resolved and downloaded by [Fetch].
type Fetched struct {
	URI     URI      // the URI, parsed
	Version *Version // the version it named when fetched
	Dir     string   // the directory that holds the version's files
}

// Fetch parses the models:/ URI arg, resolves it with r and downloads the
// version into r's cache (or finds it there).
func Fetch(ctx context.Context, r *Resolver, arg string) (*Fetched, error) {
	u, err := Parse(arg)
	if err != nil {
		return nil, err
	}
	v, err := r.Resolve(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", arg, err)
	}
	dir, err := r.Download(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("downloading %s: %w", arg, err)
	}
	return &Fetched{URI: u, Version: v, Dir: dir}, nil
}
