package webhook

import (
	"encoding/json"
	"fmt"
	"time"
)

// The payloads MLflow 3.6 sends as "data", one type per event.

// RegisteredModelCreatedData is registered_model.created's data; the same
// fields are prompt.created's.
type RegisteredModelCreatedData struct {
	Name        string            `json:"name"`
	Tags        map[string]string `json:"tags"`
	Description *string           `json:"description"`
}

// ModelVersionCreatedData is model_version.created's data.
type ModelVersionCreatedData struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Source      string            `json:"source"`
	RunID       *string           `json:"run_id"`
	Tags        map[string]string `json:"tags"`
	Description *string           `json:"description"`
}

// PromptVersionCreatedData is prompt_version.created's data.
type PromptVersionCreatedData struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Template    string            `json:"template"`
	Tags        map[string]string `json:"tags"`
	Description *string           `json:"description"`
}

// VersionTagData is model_version_tag.set and .deleted's data, and
// prompt_version_tag's (Value is left out on delete).
type VersionTagData struct {
	Name    string  `json:"name"`
	Version string  `json:"version"`
	Key     string  `json:"key"`
	Value   *string `json:"value,omitempty"`
}

// TagData is prompt_tag.set and .deleted's data.
type TagData struct {
	Name  string  `json:"name"`
	Key   string  `json:"key"`
	Value *string `json:"value,omitempty"`
}

// AliasData is model_version_alias.created and .deleted's data, and
// prompt_alias' (Version is left out on delete).
type AliasData struct {
	Name    string `json:"name"`
	Alias   string `json:"alias"`
	Version string `json:"version,omitempty"`
}

// Optional is nil for "", else a pointer to s: MLflow sends null for an
// absent description or run id.
func Optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Example returns MLflow's example data for ev, which a webhook test sends.
func Example(ev Event) any {
	v := "example_value"
	switch ev.Entity {
	case RegisteredModel, Prompt:
		return RegisteredModelCreatedData{Name: "example_" + string(ev.Entity), Tags: map[string]string{"example_key": "example_value"},
			Description: Optional("An example " + string(ev.Entity))}
	case ModelVersion:
		return ModelVersionCreatedData{Name: "example_model", Version: "1", Source: "runs:/abcd1234abcd5678/model",
			RunID: Optional("abcd1234abcd5678"), Tags: map[string]string{"example_key": "example_value"}, Description: Optional("An example model version")}
	case PromptVersion:
		return PromptVersionCreatedData{Name: "example_prompt", Version: "1", Template: "Hello {{name}}!",
			Tags: map[string]string{"example_key": "example_value"}, Description: Optional("An example prompt version")}
	case ModelVersionTag, PromptVersionTag:
		d := VersionTagData{Name: "example_" + modelOrPrompt(ev), Version: "1", Key: "example_key"}
		if ev.Action == Set {
			d.Value = &v
		}
		return d
	case PromptTag:
		d := TagData{Name: "example_prompt", Key: "example_key"}
		if ev.Action == Set {
			d.Value = &v
		}
		return d
	case ModelVersionAlias, PromptAlias:
		d := AliasData{Name: "example_" + modelOrPrompt(ev), Alias: "example_alias"}
		if ev.Action == Created {
			d.Version = "1"
		}
		return d
	}
	return map[string]string{}
}

func modelOrPrompt(ev Event) string {
	switch ev.Entity {
	case PromptVersionTag, PromptAlias, PromptTag, Prompt, PromptVersion:
		return "prompt"
	}
	return "model"
}

// envelope is the body of a delivery.
type envelope struct {
	Entity    Entity `json:"entity"`
	Action    Action `json:"action"`
	Timestamp string `json:"timestamp"`
	Data      any    `json:"data"`
}

// RawBody is data sent as it is, without MLflow's envelope: berth
// serve's drift events keep the body --drift-webhook receivers read.
type RawBody []byte

// Body returns the JSON body delivered for ev with data at now: MLflow's
// {"entity", "action", "timestamp" (ISO 8601, UTC), "data"}, or data
// itself when it is a RawBody.
func Body(ev Event, data any, now time.Time) ([]byte, error) {
	if raw, ok := data.(RawBody); ok {
		return raw, nil
	}
	b, err := json.Marshal(envelope{ev.Entity, ev.Action, now.UTC().Format("2006-01-02T15:04:05.000000-07:00"), data})
	if err != nil {
		return nil, fmt.Errorf("encoding the %s payload: %w", ev, err)
	}
	return b, nil
}
