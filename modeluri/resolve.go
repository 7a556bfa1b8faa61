package modeluri

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
)

// Resolver resolves models:/ URIs against a registry speaking MLflow's REST
// API and downloads model versions from its artifact proxy.
type Resolver struct {
	registry string // base URL, no trailing slash
	client   *mlflowrest.Client
	cacheDir string
	progress func(Progress)
	local    bool            // load versions stored on this machine's file system
	endpoint string          // the gateway endpoint of prompts:/ versions
	objects  OpenObjectStore // s3:// sources; nil: refused
}

// Progress reports a download: after each file, how many of the files and
// bytes are done.
type Progress struct {
	File              string
	Files, TotalFiles int
	Bytes, TotalBytes int64
}

// WithProgress calls f after each file a download fetches. Default: none.
func WithProgress(f func(Progress)) Option { return func(r *Resolver) { r.progress = f } }

// Option configures a Resolver.
type Option func(*Resolver)

// WithHTTPClient sets the HTTP client. Default: one with a 5-minute timeout.
func WithHTTPClient(c *http.Client) Option { return func(r *Resolver) { r.client.HTTPClient = c } }

// WithLocalSources lets Download load a version whose files are on this
// machine's file system (a file:// URI or an absolute path, as a registry
// whose artifact store is a local directory hands out) from where they are.
// Default: refused with a [*LocalSourceError], since whoever may register a
// version could otherwise make the serving host load any of its
// directories.
func WithLocalSources(allow bool) Option { return func(r *Resolver) { r.local = allow } }

// WithToken sends "Authorization: Bearer token". Default: none.
func WithToken(token string) Option { return func(r *Resolver) { r.client.Token = token } }

// NewResolver returns a resolver for the registry at registryURI (an http or
// https URL) that caches downloads under cacheDir.
func NewResolver(registryURI, cacheDir string, opts ...Option) (*Resolver, error) {
	u, err := url.Parse(registryURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("registry URI %q must be an http:// or https:// URL (--registry-uri, BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)", registryURI)
	}
	base := strings.TrimRight(registryURI, "/")
	r := &Resolver{registry: base, cacheDir: cacheDir, client: &mlflowrest.Client{
		BaseURL: base, HTTPClient: &http.Client{Timeout: 5 * time.Minute}}}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// Version is a resolved model version.
type Version struct {
	Name        string
	Version     string
	RunID       string
	Source      string // the version's source, as registered
	ArtifactURI string // where its files are: get-download-uri's answer
	// LoggedModelID is set for an MLflow 3 logged model (models:/m-<id>):
	// then Name is the model's name, Version its id, RunID its source
	// run, and nothing is a registry version.
	LoggedModelID string
	// Prompt is set for a prompt version (prompts:/): its template and
	// settings; it has no artifacts, and Download writes a promptlab model
	// directory from it.
	Prompt *PromptVersion
}

// Resolve finds the version u names.
func (r *Resolver) Resolve(ctx context.Context, u URI) (*Version, error) {
	var mv mlflowrest.ModelVersion
	switch u.Kind {
	case KindLoggedModel:
		var resp mlflowrest.LoggedModelResponse
		if err := r.get(ctx, "logged-models/"+url.PathEscape(u.ModelID), nil, &resp); err != nil {
			return nil, fmt.Errorf("resolving %s: %w", u, err)
		}
		info := resp.Model.Info
		if info.ArtifactURI == "" {
			return nil, fmt.Errorf("resolving %s: the registry gave logged model %s no artifact location", u, u.ModelID)
		}
		return &Version{Name: info.Name, Version: info.ModelID, RunID: info.SourceRunID, Source: u.String(),
			ArtifactURI: info.ArtifactURI, LoggedModelID: info.ModelID}, nil
	case KindVersion:
		var resp mlflowrest.ModelVersionResponse
		if err := r.get(ctx, "model-versions/get", url.Values{"name": {u.Name}, "version": {u.Version}}, &resp); err != nil {
			return nil, fmt.Errorf("resolving %s: %w", u, err)
		}
		mv = resp.ModelVersion
	case KindAlias:
		var resp mlflowrest.ModelVersionResponse
		if err := r.get(ctx, "registered-models/alias", url.Values{"name": {u.Name}, "alias": {u.Alias}}, &resp); err != nil {
			return nil, fmt.Errorf("resolving %s: %w", u, err)
		}
		mv = resp.ModelVersion
	case KindLatest, KindStage:
		q := url.Values{"name": {u.Name}}
		if u.Kind == KindStage {
			q["stages"] = []string{u.Stage}
		}
		var resp mlflowrest.ModelVersionsResponse
		if err := r.get(ctx, "registered-models/get-latest-versions", q, &resp); err != nil {
			return nil, fmt.Errorf("resolving %s: %w", u, err)
		}
		best := -1
		for i, v := range resp.ModelVersions {
			if best < 0 || versionNumber(v.Version) > versionNumber(resp.ModelVersions[best].Version) {
				best = i
			}
		}
		if best < 0 {
			return nil, fmt.Errorf("resolving %s: model %q has no versions%s", u, u.Name, map[bool]string{true: " in stage " + u.Stage}[u.Kind == KindStage])
		}
		mv = resp.ModelVersions[best]
	default:
		return nil, fmt.Errorf("resolving %s: unknown kind of URI", u)
	}
	if u.Prompt {
		pv, err := promptOf(mv)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", u, err)
		}
		return &Version{Name: mv.Name, Version: mv.Version, RunID: mv.RunID, Source: u.String(), Prompt: pv}, nil
	}
	var dl mlflowrest.GetModelVersionDownloadURIResponse
	if err := r.get(ctx, "model-versions/get-download-uri", url.Values{"name": {mv.Name}, "version": {mv.Version}}, &dl); err != nil {
		return nil, fmt.Errorf("resolving %s: %w", u, err)
	}
	return &Version{Name: mv.Name, Version: mv.Version, RunID: mv.RunID, Source: mv.Source, ArtifactURI: dl.ArtifactURI}, nil
}

func versionNumber(v string) int64 {
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

func (r *Resolver) get(ctx context.Context, endpoint string, q url.Values, v any) error {
	return r.client.Get(ctx, endpoint, q, v)
}

// Watch resolves u every interval until ctx is done and calls onChange with
// each version that differs from current (and then becomes current). A
// failed resolution or a failed onChange is reported to onError and tried
// again at the next tick, so a registry that is briefly away changes nothing.
func (r *Resolver) Watch(ctx context.Context, u URI, interval time.Duration, current string,
	onChange func(context.Context, *Version) error, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, err := r.Resolve(ctx, u)
		if err != nil {
			if ctx.Err() == nil {
				onError(err)
			}
			continue
		}
		if v.Version == current {
			continue
		}
		if err := onChange(ctx, v); err != nil {
			onError(fmt.Errorf("switching %s to version %s: %w", u, v.Version, err))
			continue
		}
		current = v.Version
	}
}
