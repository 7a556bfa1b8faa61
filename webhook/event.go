package webhook

import (
	"fmt"
	"sort"
	"strings"
)

// Entity is what an event is about, in MLflow's lower-case spelling.
type Entity string

// Action is what happened to the entity.
type Action string

// The entities MLflow 3.6 sends events for.
const (
	RegisteredModel   Entity = "registered_model"
	ModelVersion      Entity = "model_version"
	ModelVersionTag   Entity = "model_version_tag"
	ModelVersionAlias Entity = "model_version_alias"
	Prompt            Entity = "prompt"
	PromptVersion     Entity = "prompt_version"
	PromptTag         Entity = "prompt_tag"
	PromptVersionTag  Entity = "prompt_version_tag"
	PromptAlias       Entity = "prompt_alias"
)

// The actions.
const (
	Created Action = "created"
	Updated Action = "updated"
	Deleted Action = "deleted"
	Set     Action = "set"
)

// validActions is MLflow's VALID_ENTITY_ACTIONS.
var validActions = map[Entity][]Action{
	RegisteredModel:   {Created},
	ModelVersion:      {Created},
	ModelVersionTag:   {Set, Deleted},
	ModelVersionAlias: {Created, Deleted},
	Prompt:            {Created},
	PromptVersion:     {Created},
	PromptTag:         {Set, Deleted},
	PromptVersionTag:  {Set, Deleted},
	PromptAlias:       {Created, Deleted},
}

// Event is an entity and an action, such as model_version.created.
type Event struct {
	Entity Entity
	Action Action
}

// String is MLflow's "entity.action" form.
func (e Event) String() string { return string(e.Entity) + "." + string(e.Action) }

// The events the tracking server emits.
var (
	RegisteredModelCreated   = Event{RegisteredModel, Created}
	ModelVersionCreated      = Event{ModelVersion, Created}
	ModelVersionTagSet       = Event{ModelVersionTag, Set}
	ModelVersionTagDeleted   = Event{ModelVersionTag, Deleted}
	ModelVersionAliasCreated = Event{ModelVersionAlias, Created}
	ModelVersionAliasDeleted = Event{ModelVersionAlias, Deleted}
	PromptCreated            = Event{Prompt, Created}
	PromptVersionCreated     = Event{PromptVersion, Created}
	PromptTagSet             = Event{PromptTag, Set}
	PromptTagDeleted         = Event{PromptTag, Deleted}
	PromptVersionTagSet      = Event{PromptVersionTag, Set}
	PromptVersionTagDeleted  = Event{PromptVersionTag, Deleted}
	PromptAliasCreated       = Event{PromptAlias, Created}
	PromptAliasDeleted       = Event{PromptAlias, Deleted}
)

// ParseEvent reads an event as the REST API sends it, entity and action
// in MLflow's proto enum spelling ("MODEL_VERSION", "CREATED"); the
// lower-case spelling is accepted too. An unknown entity or action, or a
// pair MLflow does not allow, is an *InvalidError.
func ParseEvent(entity, action string) (Event, error) {
	e := Entity(strings.ToLower(entity))
	a := Action(strings.ToLower(action))
	actions, ok := validActions[e]
	if !ok {
		return Event{}, invalid("Invalid webhook event entity: '%s'. Valid entities are: %s", entity, strings.Join(entityNames(), ", "))
	}
	for _, v := range actions {
		if v == a {
			return Event{e, a}, nil
		}
	}
	names := make([]string, len(actions))
	for i, v := range actions {
		names[i] = "'" + string(v) + "'"
	}
	sort.Strings(names)
	return Event{}, invalid("Invalid action '%s' for entity '%s'. Valid actions are: [%s]", strings.ToLower(action), e, strings.Join(names, ", "))
}

func entityNames() []string {
	var out []string
	for e := range validActions {
		out = append(out, strings.ToUpper(string(e)))
	}
	sort.Strings(out)
	return out
}

// ProtoEntity and ProtoAction are the upper-case names the REST API uses.
func (e Event) ProtoEntity() string { return strings.ToUpper(string(e.Entity)) }

// ProtoAction is the action's upper-case REST name.
func (e Event) ProtoAction() string { return strings.ToUpper(string(e.Action)) }

// InvalidError is a webhook, event or URL that breaks MLflow's rules: the
// client's mistake (INVALID_PARAMETER_VALUE).
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

func invalid(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

// DriftStatusChanged is berth serve's own event: a registered model
// version's drift status changed (berth serve --drift-webhook). It is not
// one of MLflow's, so a tracking-server webhook cannot subscribe to it; it
// hears the version's berth.drift.status tag being set instead, as
// model_version_tag.set.
var DriftStatusChanged = Event{Entity: "model_version_drift", Action: Updated}
