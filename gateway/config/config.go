package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"go.yaml.in/yaml/v3"
)

// Config is a parsed gateway configuration.
type Config struct {
	Endpoints []Endpoint // in the file's order
	Routes    []Route    // MLflow 3's traffic routes
	Warnings  []string   // deprecations (MLflow prints them as FutureWarning)
}

// Endpoint is one configured endpoint.
type Endpoint struct {
	Name         string
	EndpointType string // deployments.TypeChat, ...
	Provider     string // as written (an alias included)
	Model        string
	HasModel     bool           // model.name was given (MLflow lists null otherwise)
	Settings     map[string]any // model.config, secrets resolved
	Limit        *Limit
	Timeout      time.Duration // berth: the call's deadline (0: the gateway's default)
	MaxRetries   int           // berth: retries of a failed upstream call
	Fallbacks    []string      // berth: endpoints to try next when this one fails
	Secrets      []string      // the resolved secret values, to keep out of logs
}

// Limit is MLflow's per-endpoint call limit: Calls per Period.
type Limit struct {
	Calls         int
	RenewalPeriod string        // as written: "minute"
	Multiple      int           // the period's multiple (1 unless written "2 minutes"... always 1 in MLflow's form)
	Period        time.Duration // one RenewalPeriod
}

// Route is an MLflow 3 traffic route: a name that splits calls among
// endpoints by weight.
type Route struct {
	Name         string
	TaskType     string
	Destinations []Destination
}

// Destination is one endpoint of a route and its share of the traffic.
type Destination struct {
	Endpoint          string
	TrafficPercentage int
}

// Error is a configuration MLflow would refuse; Message is MLflow's text
// (what follows "Invalid value for '--config-path': ").
type Error struct {
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(format string, a ...any) error { return &Error{Message: fmt.Sprintf(format, a...)} }

type options struct {
	lookupEnv func(string) (string, bool)
	readFile  func(string) ([]byte, error)
}

// Option configures Parse and Load.
type Option func(*options)

// WithLookupEnv sets how "$NAME" secrets are looked up. Default:
// os.LookupEnv.
func WithLookupEnv(f func(string) (string, bool)) Option { return func(o *options) { o.lookupEnv = f } }

// WithReadFile sets how a secret given as a file path is read; it must
// return an error wrapping fs.ErrNotExist (or any error) for a path that is
// not a readable file, so that the value is taken literally. Default:
// reads regular files with os.ReadFile.
func WithReadFile(f func(string) ([]byte, error)) Option { return func(o *options) { o.readFile = f } }

func readRegular(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	return os.ReadFile(path)
}

// Load reads and parses the file at path. A missing file is MLflow's
// "PATH does not exist".
func Load(path string, opts ...Option) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errorf("%s does not exist", path)
		}
		return nil, fmt.Errorf("reading the gateway config: %w", err)
	}
	return Parse(data, path, opts...)
}

// maxConfigSize bounds a config file (16 MiB).
const maxConfigSize = 16 << 20

// Parse parses a config; path is only used in messages.
func Parse(data []byte, path string, opts ...Option) (*Config, error) {
	o := options{lookupEnv: os.LookupEnv, readFile: readRegular}
	for _, opt := range opts {
		opt(&o)
	}
	if len(data) > maxConfigSize {
		return nil, errorf("The file at %s is larger than 16 MiB", path)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, errorf("The file at %s is not a valid yaml file", path)
	}
	if doc == nil {
		return nil, errorf("argument of type 'NoneType' is not iterable")
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, errorf("The gateway configuration is invalid: 1 validation error for GatewayConfig\n__root__\n  GatewayConfig expected dict not %s (type=type_error)", pyType(doc))
	}
	cfg := &Config{}
	rawEndpoints, hasEndpoints := top["endpoints"]
	rawRoutes, hasRoutes := top["routes"]
	var routeList []any
	if hasRoutes {
		routeList, _ = rawRoutes.([]any)
	}
	legacyRoutes := hasRoutes && !hasEndpoints && !isTrafficRoutes(routeList)
	if legacyRoutes {
		cfg.Warnings = append(cfg.Warnings, "The 'routes' configuration key has been deprecated and will be removed in an upcoming release. Use 'endpoints' instead.")
		rawEndpoints, hasEndpoints = rawRoutes, true
	}
	if !hasEndpoints {
		return nil, validation(fieldError{loc: "endpoints", msg: "field required", typ: "value_error.missing"})
	}
	list, ok := rawEndpoints.([]any)
	if !ok && rawEndpoints != nil {
		return nil, validation(fieldError{loc: "endpoints", msg: "value is not a valid list", typ: "type_error.list"})
	}
	if rawEndpoints == nil {
		return nil, validation(fieldError{loc: "endpoints", msg: "none is not an allowed value", typ: "type_error.none.not_allowed"})
	}
	// Name collisions first, as MLflow checks them before validating.
	seen := map[string]bool{}
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				if seen[n] {
					return nil, errorf("Duplicate names found in endpoint configurations. Please remove the duplicate endpoint name from the configuration to ensure that endpoints are created properly.")
				}
				seen[n] = true
			}
		}
	}
	var missing []fieldError
	warnedRouteType := false
	for i, e := range list {
		ep, fes, err := parseEndpoint(i, e, &o, &warnedRouteType)
		if err != nil {
			return nil, err
		}
		missing = append(missing, fes...)
		if ep != nil {
			cfg.Endpoints = append(cfg.Endpoints, *ep)
		}
	}
	if warnedRouteType {
		cfg.Warnings = append(cfg.Warnings, "The 'route_type' configuration key has been deprecated and will be removed in an upcoming release. Use 'endpoint_type' instead.")
	}
	if len(missing) > 0 {
		return nil, validation(missing...)
	}
	if hasRoutes && !legacyRoutes {
		routes, err := parseRoutes(rawRoutes, cfg)
		if err != nil {
			return nil, err
		}
		cfg.Routes = routes
	}
	if err := checkFallbacks(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// isTrafficRoutes tells MLflow 3's routes (with destinations) from MLflow
// 2's deprecated spelling of endpoints.
func isTrafficRoutes(list []any) bool {
	for _, r := range list {
		if m, ok := r.(map[string]any); ok {
			if _, ok := m["destinations"]; ok {
				return true
			}
		}
	}
	return false
}

// ValidName reports whether name is an endpoint name MLflow accepts:
// letters, digits, '_' and '-', at least one.
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

var endpointTypes = []string{deployments.TypeCompletions, deployments.TypeChat, deployments.TypeEmbeddings}

func parseEndpoint(i int, e any, o *options, warnedRouteType *bool) (*Endpoint, []fieldError, error) {
	at := func(path ...string) string {
		return strings.Join(append([]string{"endpoints", strconv.Itoa(i)}, path...), " -> ")
	}
	m, ok := e.(map[string]any)
	if !ok {
		return nil, []fieldError{{loc: at(), msg: "value is not a valid dict", typ: "type_error.dict"}}, nil
	}
	var missing []fieldError
	ep := &Endpoint{}
	name, ok := m["name"]
	if !ok {
		missing = append(missing, fieldError{loc: at("name"), msg: "field required", typ: "value_error.missing"})
	} else {
		ep.Name = scalarString(name)
		if !ValidName(ep.Name) {
			return nil, nil, errorf("The route name provided contains disallowed characters for a url endpoint. '%s' is invalid. Names cannot contain spaces or any non alphanumeric characters other than hyphen and underscore.", ep.Name)
		}
	}
	typ, ok := m["endpoint_type"]
	if !ok {
		if typ, ok = m["route_type"]; ok {
			*warnedRouteType = true
		}
	}
	if !ok {
		missing = append(missing, fieldError{loc: at("endpoint_type"), msg: "field required", typ: "value_error.missing"})
	} else {
		ep.EndpointType = scalarString(typ)
		if !slices.Contains(endpointTypes, ep.EndpointType) {
			return nil, nil, errorf("The route_type '%s' is not supported.", ep.EndpointType)
		}
	}
	model, ok := m["model"].(map[string]any)
	if !ok {
		missing = append(missing, fieldError{loc: at("model"), msg: "field required", typ: "value_error.missing"})
		return nil, missing, nil
	}
	ep.Provider = scalarString(model["provider"])
	if _, ok := model["provider"]; !ok {
		missing = append(missing, fieldError{loc: at("model", "provider"), msg: "field required", typ: "value_error.missing"})
		return nil, missing, nil
	}
	spec, ok := provider.Lookup(ep.Provider)
	if !ok {
		return nil, nil, errorf("The provider '%s' is not supported.", ep.Provider)
	}
	if n, ok := model["name"]; ok && n != nil {
		ep.Model, ep.HasModel = scalarString(n), true
	}
	settings, _ := model["config"].(map[string]any)
	ep.Settings = make(map[string]any, len(settings))
	for k, v := range settings {
		ep.Settings[k] = v
	}
	for _, f := range spec.RequiredFields {
		if _, ok := ep.Settings[f]; !ok {
			missing = append(missing, fieldError{loc: at("model", "config", f), msg: "field required", typ: "value_error.missing"})
		}
	}
	for _, f := range spec.SecretFields {
		v, ok := ep.Settings[f]
		if !ok {
			continue
		}
		secret, err := resolveSecret(v, o)
		if err != nil {
			return nil, nil, err
		}
		ep.Settings[f] = secret
		ep.Secrets = append(ep.Secrets, secret)
	}
	if l, ok := m["limit"]; ok && l != nil {
		lim, err := parseLimit(l)
		if err != nil {
			return nil, nil, err
		}
		ep.Limit = lim
	}
	if err := parseBerthFields(ep, m); err != nil {
		return nil, nil, err
	}
	if ep.EndpointType != "" && !spec.Serves(ep.EndpointType) {
		return nil, nil, errorf("The provider '%s' does not serve %s endpoints (endpoint '%s').", ep.Provider, ep.EndpointType, ep.Name)
	}
	return ep, missing, nil
}

// resolveSecret resolves an API key as MLflow's _resolve_api_key_from_input.
func resolveSecret(v any, o *options) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", errorf("The api key provided is not a string. Please provide either an environment variable key, a path to a file containing the api key, or the api key itself")
	}
	if name, ok := strings.CutPrefix(s, "$"); ok {
		if val, ok := o.lookupEnv(name); ok && val != "" {
			return val, nil
		}
		return "", errorf("Environment variable '%s' is not set", name)
	}
	if s != "" {
		if b, err := o.readFile(s); err == nil {
			return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), nil
		}
	}
	return s, nil
}

// scalarString writes a YAML scalar as Python's str() would for the
// values a name or type can take.
func scalarString(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	default:
		return fmt.Sprint(x)
	}
}

func pyType(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case int, int64, uint64:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	}
	return "object"
}
