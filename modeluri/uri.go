// Package modeluri resolves MLflow model URIs — models:/name/3,
// models:/name@alias, models:/name/latest, models:/name/Production — against
// a registry that speaks MLflow's REST API, and downloads the version's
// artifacts into a local cache keyed by their content.
package modeluri

import (
	"fmt"
	"strconv"
	"strings"
)

// Scheme is the prefix of registry model URIs.
const Scheme = "models:/"

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
}

func (u URI) String() string {
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

// IsModelURI reports whether s is a models:/ URI (rather than a directory).
func IsModelURI(s string) bool { return strings.HasPrefix(s, Scheme) }

var stages = map[string]string{"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived"}

// Parse reads a models:/ URI. Names may not contain '/' or '@'; versions
// are positive integers; stages are MLflow's four, in any case. A bare
// models:/m-<hex id> names an MLflow 3 logged model.
func Parse(s string) (URI, error) {
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
