package server

import (
	"context"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/webhook"
)

// MLflow 3 keeps prompts in the model registry: a prompt is a registered
// model tagged mlflow.prompt.is_prompt, a prompt version a model version
// with the same tag and its template in mlflow.prompt.text. The server
// treats them as MLflow's does in two ways: a prompt version's source is
// not validated, and their webhook events are prompt events.

// The prompt registry's tags (mlflow/prompt/constants.py).
const (
	promptTag     = "mlflow.prompt.is_prompt"
	promptTextTag = "mlflow.prompt.text"
)

// isPrompt reports whether tags mark a prompt: MLflow looks for the key
// alone (_is_prompt_request).
func isPrompt(tags []tracking.Tag) bool {
	for _, t := range tags {
		if t.Key == promptTag {
			return true
		}
	}
	return false
}

func tagValue(tags []tracking.Tag, key string) string {
	for _, t := range tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// promptVersionStore creates versions without validating their source;
// sqlstore has it.
type promptVersionStore interface {
	CreatePromptVersion(ctx context.Context, v tracking.CreateModelVersion) (*tracking.ModelVersion, error)
}

// createVersion creates a model version, or a prompt version when the
// request is tagged as one (its source, "dummy-source" from MLflow's
// client, is then not validated).
func (s *Server) createVersion(ctx context.Context, cv tracking.CreateModelVersion) (*tracking.ModelVersion, error) {
	if ps, ok := s.store.(promptVersionStore); ok && isPrompt(cv.Tags) {
		return ps.CreatePromptVersion(ctx, cv)
	}
	return s.store.CreateModelVersion(ctx, cv)
}

// isLatestAlias reports whether alias is "latest" (any case), which MLflow
// 3 answers with a model's newest version though no one set it
// ("prompts:/NAME@latest"); it cannot be set, since ValidateAlias
// reserves it.
func isLatestAlias(alias string) bool { return strings.EqualFold(alias, "latest") }

// newestVersion is the highest live version of a model: the highest of the
// latest version of each stage.
func (s *Server) newestVersion(ctx context.Context, name string) (*tracking.ModelVersion, error) {
	vs, err := s.store.GetLatestVersions(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	var best *tracking.ModelVersion
	for i := range vs {
		if best == nil || promptVersionNumber(vs[i].Version) > promptVersionNumber(best.Version) {
			best = &vs[i]
		}
	}
	if best == nil {
		return nil, tracking.InvalidParameter("Registered model alias %s not found.", "latest")
	}
	return best, nil
}

func promptVersionNumber(v string) int64 {
	n, err := tracking.ParseModelVersion(v)
	if err != nil {
		return -1
	}
	return n
}

// The webhook events of registry changes. Each is queued without
// blocking the request; nothing happens without a store that keeps
// webhooks.

// emit queues ev with data.
func (s *Server) emit(ev webhook.Event, data any) {
	if s.hooks != nil {
		s.hooks.d.Emit(ev, data)
	}
}

// modelIsPrompt reports whether a registered model is a prompt, for the
// events whose request does not say (aliases, tags). Only read when a
// webhook could hear it.
func (s *Server) modelIsPrompt(c *gin.Context, name string) bool {
	m, err := s.store.GetRegisteredModel(c.Request.Context(), name)
	return err == nil && isPrompt(m.Tags)
}

// pick returns the prompt event for prompts, else the model event.
func pick(prompt bool, model, promptEv webhook.Event) webhook.Event {
	if prompt {
		return promptEv
	}
	return model
}

func tagMap(tags []tracking.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

func (s *Server) emitModelCreated(m *tracking.RegisteredModel) {
	if s.hooks == nil {
		return
	}
	s.emit(pick(isPrompt(m.Tags), webhook.RegisteredModelCreated, webhook.PromptCreated),
		webhook.RegisteredModelCreatedData{Name: m.Name, Tags: tagMap(m.Tags), Description: webhook.Optional(m.Description)})
}

func (s *Server) emitVersionCreated(v *tracking.ModelVersion) {
	if s.hooks == nil {
		return
	}
	if isPrompt(v.Tags) {
		s.emit(webhook.PromptVersionCreated, webhook.PromptVersionCreatedData{Name: v.Name, Version: v.Version,
			Template: tagValue(v.Tags, promptTextTag), Tags: tagMap(v.Tags), Description: webhook.Optional(v.Description)})
		return
	}
	s.emit(webhook.ModelVersionCreated, webhook.ModelVersionCreatedData{Name: v.Name, Version: v.Version, Source: v.Source,
		RunID: webhook.Optional(v.RunID), Tags: tagMap(v.Tags), Description: webhook.Optional(v.Description)})
}

func (s *Server) emitAlias(c *gin.Context, name, alias, version string, created bool) {
	if s.hooks == nil {
		return
	}
	p := s.modelIsPrompt(c, name)
	ev := pick(p, webhook.ModelVersionAliasDeleted, webhook.PromptAliasDeleted)
	if created {
		ev = pick(p, webhook.ModelVersionAliasCreated, webhook.PromptAliasCreated)
	}
	s.emit(ev, webhook.AliasData{Name: name, Alias: alias, Version: version})
}

func (s *Server) emitVersionTag(c *gin.Context, name, version, key string, value *string) {
	if s.hooks == nil {
		return
	}
	p := s.modelIsPrompt(c, name)
	ev := pick(p, webhook.ModelVersionTagDeleted, webhook.PromptVersionTagDeleted)
	if value != nil {
		ev = pick(p, webhook.ModelVersionTagSet, webhook.PromptVersionTagSet)
	}
	s.emit(ev, webhook.VersionTagData{Name: name, Version: version, Key: key, Value: value})
}

// emitModelTag sends prompt_tag events; MLflow has no event for a
// registered model's tags.
func (s *Server) emitModelTag(c *gin.Context, name, key string, value *string) {
	if s.hooks == nil || !s.modelIsPrompt(c, name) {
		return
	}
	ev := webhook.PromptTagDeleted
	if value != nil {
		ev = webhook.PromptTagSet
	}
	s.emit(ev, webhook.TagData{Name: name, Key: key, Value: value})
}
