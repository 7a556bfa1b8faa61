package modeluri

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/berthml/berth/api/mlflowrest"
)

// Download fetches the files of v into the cache and returns the local
// model directory. The directory is named by the digest of its content, so
// versions with the same files share one copy, and a version already
// fetched is not fetched again. Artifact URIs on the local file system are
// used where they are, with [WithLocalSources] only. A source or artifact
// URI with "." or ".." segments is refused: the registry's artifact store
// is reached through its proxy, and a path that climbs out of a run's
// artifacts is not a model version's.
func (r *Resolver) Download(ctx context.Context, v *Version) (string, error) {
	if v.Prompt != nil {
		return r.writePrompt(v)
	}
	uri := v.ArtifactURI
	if uri == "" {
		uri = v.Source
	}
	for _, u := range []string{v.Source, v.ArtifactURI} {
		if err := checkNormalised(u); err != nil {
			return "", fmt.Errorf("downloading %s version %s: %w", v.Name, v.Version, err)
		}
	}
	if rest, ok := strings.CutPrefix(uri, "runs:/"); ok {
		// Where the run's artifacts are decides whether it is local.
		runURI, err := r.runArtifacts(ctx, rest)
		if err != nil {
			return "", fmt.Errorf("downloading %s version %s: %w", v.Name, v.Version, err)
		}
		if err := checkNormalised(runURI); err != nil {
			return "", fmt.Errorf("downloading %s version %s: %w", v.Name, v.Version, err)
		}
		uri = runURI
	}
	if strings.HasPrefix(uri, "s3://") {
		return r.downloadObjects(ctx, v, uri)
	}
	if local, ok := localPath(uri); ok {
		if !r.local {
			return "", &LocalSourceError{Name: v.Name, Version: v.Version, URI: uri}
		}
		return local, nil
	}
	remote, err := r.proxyPath(ctx, uri)
	if err != nil {
		return "", fmt.Errorf("downloading %s version %s: %w", v.Name, v.Version, err)
	}
	indexFile := filepath.Join(r.cacheDir, "index", hashString(r.registry+"\n"+uri))
	if b, err := os.ReadFile(indexFile); err == nil {
		dir := filepath.Join(r.cacheDir, strings.TrimSpace(string(b)))
		if _, err := os.Stat(filepath.Join(dir, "MLmodel")); err == nil {
			return dir, nil
		}
	}
	dir, err := r.fetch(ctx, proxySource{r, remote})
	if err != nil {
		return "", fmt.Errorf("downloading %s version %s from %s: %w", v.Name, v.Version, uri, err)
	}
	if err := os.MkdirAll(filepath.Dir(indexFile), 0o755); err == nil {
		os.WriteFile(indexFile, []byte(filepath.Base(dir)+"\n"), 0o644)
	}
	return dir, nil
}

// LocalSourceError is a version whose files are on this machine's file
// system rather than in the registry's artifact store, refused without
// [WithLocalSources].
type LocalSourceError struct {
	Name, Version, URI string
}

func (e *LocalSourceError) Error() string {
	return fmt.Sprintf("%s version %s is stored at %s, a path on this machine, not in the registry's artifact store "+
		"(mlflow-artifacts:/): refused, since whoever registers versions could point it at any directory here; "+
		"give --allow-local-sources if the registry's artifacts really are on this machine", e.Name, e.Version, e.URI)
}

// checkNormalised refuses a URI whose path has empty, "." or ".." segments
// (a trailing slash aside).
func checkNormalised(uri string) error {
	if uri == "" {
		return nil
	}
	p := uri
	if i := strings.Index(p, ":"); i >= 0 && !strings.ContainsAny(p[:i], "/") {
		p = p[i+1:] // the scheme's part
	}
	p = strings.TrimPrefix(p, "//")
	for _, seg := range strings.Split(strings.TrimRight(p, "/"), "/") {
		if u, err := url.PathUnescape(seg); err == nil {
			seg = u
		}
		if seg == "." || seg == ".." {
			return fmt.Errorf("source %q has a %q segment: a model version's files are named by a normalised path", uri, seg)
		}
	}
	return nil
}

// localPath returns the directory of a file:// URI or an absolute path.
func localPath(uri string) (string, bool) {
	if p, ok := strings.CutPrefix(uri, "file://"); ok {
		return p, true
	}
	if filepath.IsAbs(uri) {
		return uri, true
	}
	return "", false
}

// proxyPath turns an artifact URI into a path under the registry's artifact
// proxy: mlflow-artifacts:/1/RUN/artifacts/model, or runs:/RUN/model through
// the run's artifact URI.
func (r *Resolver) proxyPath(ctx context.Context, uri string) (string, error) {
	if rest, ok := strings.CutPrefix(uri, "runs:/"); ok {
		runURI, err := r.runArtifacts(ctx, rest)
		if err != nil {
			return "", err
		}
		return r.proxyPath(ctx, runURI)
	}
	if !strings.HasPrefix(uri, "mlflow-artifacts:") {
		return "", fmt.Errorf("artifact URI %q: berth downloads mlflow-artifacts:, runs:/ and local paths", uri)
	}
	return mlflowrest.ArtifactProxyPath(uri)
}

// runArtifacts turns RUN/SUB of a runs:/ URI into the run's artifact URI
// followed by SUB.
func (r *Resolver) runArtifacts(ctx context.Context, rest string) (string, error) {
	runID, sub, _ := strings.Cut(rest, "/")
	var resp mlflowrest.RunResponse
	if err := r.get(ctx, "runs/get", url.Values{"run_id": {runID}}, &resp); err != nil {
		return "", err
	}
	return strings.TrimRight(resp.Run.Info.ArtifactURI, "/") + "/" + sub, nil
}

type remoteFile struct {
	rel  string // relative to the model directory
	size int64
}

// source is where fetch reads a version's files: the registry's artifact
// proxy, or a bucket.
type source interface {
	// list returns the entries of dir ("" is the version's root).
	list(ctx context.Context, dir string) ([]entry, error)
	// open opens the file at rel.
	open(ctx context.Context, rel string) (io.ReadCloser, error)
	// String names the root in errors.
	String() string
}

// entry is one listed file or directory; path's last segment is its name.
type entry struct {
	path  string
	isDir bool
	size  int64
}

// proxySource reads through the registry's artifact proxy under root.
type proxySource struct {
	r    *Resolver
	root string
}

func (p proxySource) String() string { return p.root }

func (p proxySource) list(ctx context.Context, dir string) ([]entry, error) {
	at := p.root
	if dir != "" {
		at += "/" + dir
	}
	files, err := p.r.client.ListArtifacts(ctx, at)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(files))
	for _, f := range files {
		var size int64
		if f.FileSize != nil {
			size = *f.FileSize
		}
		out = append(out, entry{f.Path, f.IsDir, size})
	}
	return out, nil
}

func (p proxySource) open(ctx context.Context, rel string) (io.ReadCloser, error) {
	return p.r.client.GetArtifact(ctx, p.root+"/"+rel)
}

// list walks src's listing of dir.
func (r *Resolver) list(ctx context.Context, src source, rel string, out *[]remoteFile) error {
	files, err := src.list(ctx, rel)
	if err != nil {
		return err
	}
	for _, f := range files {
		name := path.Base(f.path)
		child := name
		if rel != "" {
			child = rel + "/" + name
		}
		if !filepath.IsLocal(filepath.FromSlash(child)) || name == "." || name == ".." || name == "/" || name == "" {
			return fmt.Errorf("%s listed an unsafe artifact path %q", src, f.path)
		}
		if f.isDir {
			if err := r.list(ctx, src, child, out); err != nil {
				return err
			}
			continue
		}
		*out = append(*out, remoteFile{child, f.size})
	}
	return nil
}

// fetch downloads every file of src into a new directory of the cache,
// named by the digest of the files' paths and contents.
func (r *Resolver) fetch(ctx context.Context, src source) (string, error) {
	var files []remoteFile
	if err := r.list(ctx, src, "", &files); err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", fmt.Errorf("no files under %s", src)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	if err := os.MkdirAll(r.cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(r.cacheDir, "download-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	digest := sha256.New()
	p := Progress{TotalFiles: len(files)}
	for _, f := range files {
		p.TotalBytes += f.size
	}
	for _, f := range files {
		sum, err := r.fetchFile(ctx, src, f.rel, filepath.Join(tmp, filepath.FromSlash(f.rel)))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(digest, "%s\x00%s\n", f.rel, sum)
		if r.progress != nil {
			p.File, p.Files, p.Bytes = f.rel, p.Files+1, p.Bytes+f.size
			r.progress(p)
		}
	}
	dir := filepath.Join(r.cacheDir, "sha256-"+hex.EncodeToString(digest.Sum(nil)))
	if _, err := os.Stat(dir); err == nil {
		return dir, nil // the same files, fetched before for another version
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// fetchFile downloads one file of src to dst, streamed, and returns its
// sha256.
func (r *Resolver) fetchFile(ctx context.Context, src source, rel, dst string) (string, error) {
	remote := src.String() + "/" + rel
	body, err := src.open(ctx, rel)
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", remote, err)
	}
	defer body.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	f, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	bp := copyBufs.Get().(*[]byte)
	// The buffer is the copy's, not the body's (whose WriteTo would choose
	// its own) nor the file's (whose ReadFrom falls back to 32 KiB for a
	// socket): a 100 MB file takes a hundred writes to the file and the
	// hash, not 3,200.
	_, err = io.CopyBuffer(io.MultiWriter(f, h), struct{ io.Reader }{body}, *bp)
	copyBufs.Put(bp)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", remote, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// copyBufs are fetchFile's copy buffers, one per file being downloaded.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

func hashString(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
