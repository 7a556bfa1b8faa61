package mlflowrest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Typed calls of the endpoints the command line uses; the rest go through
// Get, Post and Do with the message types.

// ExperimentID returns the id of the experiment named nameOrID or, when no
// experiment has that name, of the experiment with that id.
func (c *Client) ExperimentID(ctx context.Context, nameOrID string) (string, error) {
	var got GetExperimentResponse
	err := c.Get(ctx, "experiments/get-by-name", url.Values{"experiment_name": {nameOrID}}, &got)
	if err == nil {
		return got.Experiment.ExperimentID, nil
	}
	if !IsNotFound(err) {
		return "", err
	}
	if err := c.Get(ctx, "experiments/get", url.Values{"experiment_id": {nameOrID}}, &got); err == nil {
		return got.Experiment.ExperimentID, nil
	}
	return "", fmt.Errorf("no experiment named or numbered %q", nameOrID)
}

// SearchRegisteredModels lists up to 1000 registered models that match
// filter (MLflow's search filter; "" for all).
func (c *Client) SearchRegisteredModels(ctx context.Context, filter string) ([]RegisteredModel, error) {
	var resp SearchRegisteredModelsResponse
	q := url.Values{"max_results": {"1000"}}
	if filter != "" {
		q.Set("filter", filter)
	}
	if err := c.Get(ctx, "registered-models/search", q, &resp); err != nil {
		return nil, err
	}
	return resp.RegisteredModels, nil
}

// GetRegisteredModel returns the registered model called name.
func (c *Client) GetRegisteredModel(ctx context.Context, name string) (*RegisteredModel, error) {
	var resp RegisteredModelResponse
	if err := c.Get(ctx, "registered-models/get", url.Values{"name": {name}}, &resp); err != nil {
		return nil, err
	}
	return &resp.RegisteredModel, nil
}

// ModelVersions lists up to 1000 versions of the registered model called
// name.
func (c *Client) ModelVersions(ctx context.Context, name string) ([]ModelVersion, error) {
	var resp SearchModelVersionsResponse
	q := url.Values{"filter": {"name='" + strings.ReplaceAll(name, "'", `\'`) + "'"}, "max_results": {"1000"}}
	if err := c.Get(ctx, "model-versions/search", q, &resp); err != nil {
		return nil, err
	}
	return resp.ModelVersions, nil
}

// SetAlias points alias of the registered model name at version.
func (c *Client) SetAlias(ctx context.Context, name, alias, version string) error {
	return c.Post(ctx, "registered-models/alias", SetRegisteredModelAliasRequest{Name: name, Alias: alias, Version: version}, nil)
}

// DeleteAlias removes alias from the registered model name.
func (c *Client) DeleteAlias(ctx context.Context, name, alias string) error {
	return c.Do(ctx, http.MethodDelete, APIPrefix+"registered-models/alias", nil, RegisteredModelAliasRequest{Name: name, Alias: alias}, nil)
}
