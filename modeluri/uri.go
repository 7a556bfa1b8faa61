// Package modeluri resolves MLflow model URIs — models:/name/3,
// models:/name@alias, models:/name/latest, models:/name/Production — against
// a registry that speaks MLflow's REST API, and downloads the version's
// artifacts into a local cache keyed by their content. MLflow 3's prompt
// URIs — prompts:/name/3, prompts:/name@alias — resolve to a registered
// prompt version, which "downloads" as a promptlab model directory that
// sends the filled template to a gateway endpoint (see prompt.go).
package modeluri

import (
	"fmt"
	"strconv"
	"strings"
)

// Scheme is the prefix of registry model URIs.
const Scheme = "models:/"

// PromptScheme is the prefix of MLflow 3's prompt URIs.
const PromptScheme = "prompts:/"

// Kind says how a URI names its version.
type Kind int

// The ways a models:/ URI names a version.
const (
	KindVersion     Kind = iota // models:/name/3
	KindAlias                   // models:/name@alias
	KindLatest                  // models:/name/latest
	KindStage                   // models:/name/Production
	KindLoggedModel             // models:/m-<id>, an MLflow 3 logged model
)

// loggedModelPrefix starts the ids of MLflow 3's logged models.
const loggedModelPrefix = "m-"

// URI is a parsed models:/ URI.
type URI struct {
	Name    string
	Kind    Kind
	Version string // KindVersion: the number
	Alias   string // KindAlias
	Stage   string // KindStage, canonical case: None, Staging, Production or Archived
	// ModelID is the logged model's id (KindLoggedModel), "m-" and hex
	// digits; Name is the id too.
	ModelID string
	// Prompt is set for a prompts:/ URI: Name is a registered prompt, and
	// Kind is KindVersion or KindAlias (prompts:/NAME@latest is an alias
	// the registry answers with the newest version).
	Prompt bool
}

func (u URI) String() string {
	if u.Prompt {
		if u.Kind == KindAlias {
			return PromptScheme + u.Name + "@" + u.Alias
		}
		return PromptScheme + u.Name + "/" + u.Version
	}
	switch u.Kind {
	case KindAlias:
		return Scheme + u.Name + "@" + u.Alias
	case KindLatest:
		return Scheme + u.Name + "/latest"
	case KindStage:
		return Scheme + u.Name + "/" + u.Stage
	case KindLoggedModel:
		return Scheme + u.ModelID
	}
	return Scheme + u.Name + "/" + u.Version
}

// IsModelURI reports whether s is a registry URI, models:/ or prompts:/
// (rather than a directory).
func IsModelURI(s string) bool {
	return strings.HasPrefix(s, Scheme) || strings.HasPrefix(s, PromptScheme)
}

var stages = map[string]string{"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived"}

// Parse reads a models:/ URI. Names may not contain '/' or '@'; versions
// are positive integers; stages are MLflow's four, in any case. A bare
// models:/m-<hex id> names an MLflow 3 logged model.
func Parse(s string) (URI, error) {
	if strings.HasPrefix(s, PromptScheme) {
		return parsePrompt(s)
	}
	rest, ok := strings.CutPrefix(s, Scheme)
	if !ok {
		return URI{}, fmt.Errorf("model URI %q must start with %q", s, Scheme)
	}
	bad := func(why string) (URI, error) {
		return URI{}, fmt.Errorf("model URI %q: %s (forms: models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/latest, models:/NAME/STAGE, models:/m-ID)", s, why)
	}
	if id, ok := strings.CutPrefix(rest, loggedModelPrefix); ok && !strings.ContainsAny(rest, "/@") {
		if id == "" || strings.Trim(id, "0123456789abcdef") != "" {
			return bad("a logged model id is 'm-' and lower-case hex digits")
		}
		return URI{Name: rest, Kind: KindLoggedModel, ModelID: rest}, nil
	}
	if name, alias, ok := strings.Cut(rest, "@"); ok {
		switch {
		case name == "" || strings.Contains(name, "/"):
			return bad("the name before '@' is empty or has a '/'")
		case alias == "" || strings.ContainsAny(alias, "/@"):
			return bad("the alias after '@' is empty or has a '/' or '@'")
		}
		return URI{Name: name, Kind: KindAlias, Alias: alias}, nil
	}
	name, ref, ok := strings.Cut(rest, "/")
	switch {
	case name == "":
		return bad("no model name")
	case !ok:
		return bad("no version, stage, 'latest' or alias after the name")
	case ref == "" || strings.Contains(ref, "/"):
		return bad("expected one version, stage, 'latest' or alias after the name")
	}
	if strings.EqualFold(ref, "latest") {
		return URI{Name: name, Kind: KindLatest}, nil
	}
	if st, ok := stages[strings.ToLower(ref)]; ok {
		return URI{Name: name, Kind: KindStage, Stage: st}, nil
	}
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil && n > 0 && strconv.FormatInt(n, 10) == ref {
		return URI{Name: name, Kind: KindVersion, Version: ref}, nil
	}
	return bad(fmt.Sprintf("%q is not a version number, a stage or 'latest'", ref))
}

// parsePrompt reads prompts:/NAME/VERSION or prompts:/NAME@ALIAS, the forms
// MLflow 3's load_prompt takes.
func parsePrompt(s string) (URI, error) {
	rest, _ := strings.CutPrefix(s, PromptScheme)
	bad := func(why string) (URI, error) {
		return URI{}, fmt.Errorf("prompt URI %q: %s (forms: prompts:/NAME/VERSION, prompts:/NAME@ALIAS)", s, why)
	}
	if name, alias, ok := strings.Cut(rest, "@"); ok {
		switch {
		case name == "" || strings.Contains(name, "/"):
			return bad("the name before '@' is empty or has a '/'")
		case alias == "" || strings.ContainsAny(alias, "/@"):
			return bad("the alias after '@' is empty or has a '/' or '@'")
		}
		return URI{Name: name, Kind: KindAlias, Alias: alias, Prompt: true}, nil
	}
	name, ref, ok := strings.Cut(rest, "/")
	switch {
	case name == "":
		return bad("no prompt name")
	case !ok:
		return bad("no version or alias after the name")
	case ref == "" || strings.Contains(ref, "/"):
		return bad("expected one version after the name")
	}
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil && n > 0 && strconv.FormatInt(n, 10) == ref {
		return URI{Name: name, Kind: KindVersion, Version: ref, Prompt: true}, nil
	}
	return bad(fmt.Sprintf("%q is not a version number (an alias is written NAME@ALIAS)", ref))
}
