package mlflowrest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// Client calls a server speaking MLflow's REST API (MLflow's own, or
// berth's). Its zero value is not usable: set BaseURL.
type Client struct {
	BaseURL    string       // e.g. http://127.0.0.1:5000
	HTTPClient *http.Client // nil: http.DefaultClient
	Token      string       // sent as "Authorization: Bearer Token" when set
}

// APIPrefix is where MLflow's REST API lives under the base URL.
const APIPrefix = "/api/2.0/mlflow/"

// ArtifactsPrefix is where the artifact proxy lives under the base URL.
const ArtifactsPrefix = "/api/2.0/mlflow-artifacts/artifacts"

// Get calls GET APIPrefix+endpoint with query q and decodes the answer
// into out (which may be nil).
func (c *Client) Get(ctx context.Context, endpoint string, q url.Values, out any) error {
	return c.Do(ctx, http.MethodGet, APIPrefix+endpoint, q, nil, out)
}

// Post calls POST APIPrefix+endpoint with in as the JSON body.
func (c *Client) Post(ctx context.Context, endpoint string, in, out any) error {
	return c.Do(ctx, http.MethodPost, APIPrefix+endpoint, nil, in, out)
}

// Do sends one request. An answer other than 200 becomes an
// *ErrorResponse when the body is MLflow's error JSON, else an error
// naming the status.
func (c *Client) Do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding the %s request: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	resp, err := c.send(ctx, method, path, q, body, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("reading the %s answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return statusError(path, resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decoding the %s answer: %w", path, err)
	}
	return nil
}

// PutArtifact uploads r to the artifact proxy at path (relative, such as
// 1/RUN_ID/artifacts/model/MLmodel).
func (c *Client) PutArtifact(ctx context.Context, path string, r io.Reader) error {
	resp, err := c.send(ctx, http.MethodPut, ArtifactsPrefix+"/"+escapePath(path), nil, r, "application/octet-stream")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return statusError(path, resp.StatusCode, b)
	}
	return nil
}

// PutArtifactFile uploads the local file to the artifact proxy at path.
func (c *Client) PutArtifactFile(ctx context.Context, path, local string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := c.PutArtifact(ctx, path, f); err != nil {
		return fmt.Errorf("uploading %s: %w", local, err)
	}
	return nil
}

// GetArtifact downloads the artifact at path; the caller closes it.
func (c *Client) GetArtifact(ctx context.Context, path string) (io.ReadCloser, error) {
	resp, err := c.send(ctx, http.MethodGet, ArtifactsPrefix+"/"+escapePath(path), nil, nil, "")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, statusError(path, resp.StatusCode, b)
	}
	return resp.Body, nil
}

// ListArtifacts lists the artifact directory at path.
func (c *Client) ListArtifacts(ctx context.Context, path string) ([]FileInfo, error) {
	var resp ListArtifactsResponse
	if err := c.Do(ctx, http.MethodGet, ArtifactsPrefix, url.Values{"path": {path}}, nil, &resp); err != nil {
		return nil, err
	}
	return resp.Files, nil
}

func (c *Client) send(ctx context.Context, method, path string, q url.Values, body io.Reader, contentType string) (*http.Response, error) {
	if c.BaseURL == "" {
		return nil, errors.New("mlflowrest: Client.BaseURL is not set")
	}
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if body != nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling %s: %w", c.BaseURL, err)
	}
	return resp, nil
}

func statusError(path string, status int, body []byte) error {
	var e ErrorResponse
	if json.Unmarshal(body, &e) == nil && e.ErrorCode != "" {
		return &e
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return fmt.Errorf("%s: HTTP %d: %s", path, status, msg)
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// EnsureExperiment returns the id of the experiment called name, creating
// it when it does not exist.
func (c *Client) EnsureExperiment(ctx context.Context, name string) (string, error) {
	var got GetExperimentResponse
	err := c.Get(ctx, "experiments/get-by-name", url.Values{"experiment_name": {name}}, &got)
	if err == nil {
		return got.Experiment.ExperimentID, nil
	}
	var apiErr *ErrorResponse
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != CodeResourceDoesNotExist {
		return "", fmt.Errorf("finding experiment %q: %w", name, err)
	}
	var created CreateExperimentResponse
	err = c.Post(ctx, "experiments/create", CreateExperimentRequest{Name: name}, &created)
	if errors.As(err, &apiErr) && apiErr.ErrorCode == CodeResourceAlreadyExists {
		// Another client created it between the two calls (replicas that
		// start together): theirs is the one to use.
		err = c.Get(ctx, "experiments/get-by-name", url.Values{"experiment_name": {name}}, &got)
		if err != nil {
			return "", fmt.Errorf("finding experiment %q: %w", name, err)
		}
		return got.Experiment.ExperimentID, nil
	}
	if err != nil {
		return "", fmt.Errorf("creating experiment %q: %w", name, err)
	}
	return created.ExperimentID, nil
}
