package server

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/berthml/berth/blob"
)

// The artifact store lives in package blob; these names keep the server's
// API (and its callers) as they were.
type (
	// ArtifactStore is where the server keeps artifacts: a blob.Store.
	ArtifactStore = blob.Store
	// FileInfo is one entry of an artifact directory.
	FileInfo = blob.FileInfo
	// LocalArtifacts is an ArtifactStore on a local directory.
	LocalArtifacts = blob.Local
)

var (
	// ErrInvalidPath is blob.ErrInvalidPath.
	ErrInvalidPath = blob.ErrInvalidPath
	// ErrNotDir is blob.ErrNotDir.
	ErrNotDir = blob.ErrNotDir
)

// NewLocalArtifacts returns a store rooted at dir, creating it if needed
// (blob.NewLocal).
func NewLocalArtifacts(dir string) (*LocalArtifacts, error) { return blob.NewLocal(dir) }

// CleanPath checks an artifact path and returns it in canonical form
// (blob.CleanPath).
func CleanPath(p string) (string, error) { return blob.CleanPath(p) }

// artifactPathOf maps an artifact URI this server hands out
// (mlflow-artifacts:/1/<run>/artifacts, or mlflow-artifacts://host/1/...,
// or, with --no-serve-artifacts, one under the store's own URI such as
// s3://bucket/prefix/1/<run>/artifacts) to a path in the ArtifactStore.
func (s *Server) artifactPathOf(uri string) (string, error) {
	if base := s.artifactBase(); base != "" {
		if rest, ok := strings.CutPrefix(uri, base); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
			return CleanPath(strings.TrimPrefix(rest, "/"))
		}
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "mlflow-artifacts" {
		return "", fmt.Errorf("%w: artifact URI %q is not served by this server (want mlflow-artifacts:/...)", ErrInvalidPath, uri)
	}
	return CleanPath(strings.TrimPrefix(u.Path, "/"))
}

// WithoutArtifactServing is berth server --no-serve-artifacts, as in
// MLflow: the artifact proxy routes (mlflow-artifacts/...) answer 503, and
// clients read and write artifacts in the store directly, at the
// experiments' artifact locations (which the tracking store must then give
// under the store's own URI, such as s3://bucket/prefix/<experiment id>).
// The server still reads them there for the UI and the run-artifact
// listing. Default: the server proxies artifacts.
func WithoutArtifactServing() Option { return func(o *options) { o.noServeArts = true } }

// errArtifactsNotServed answers the proxy routes under
// WithoutArtifactServing (MLflow's 503, with its advice).
var errArtifactsNotServed = errors.New("this endpoint is disabled: the server runs with --no-serve-artifacts, so clients read and write artifacts in the artifact store directly; run berth server without --no-serve-artifacts to proxy them")

// servesArtifacts refuses the proxy routes under WithoutArtifactServing.
func (s *Server) servesArtifacts() error {
	if s.opts.noServeArts {
		return errArtifactsNotServed
	}
	return nil
}

// artifactBase is the store's own URI (s3://bucket/prefix, file:///root),
// under which artifact locations given to clients directly lie; "" when
// the store cannot name itself.
func (s *Server) artifactBase() string {
	if l, ok := s.artifacts.(blob.Locator); ok {
		return strings.TrimSuffix(l.URI(), "/")
	}
	return ""
}
