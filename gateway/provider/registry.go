package provider

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Config is what a constructor gets for one endpoint's model.
type Config struct {
	// Provider is the name the config used (an alias included).
	Provider string
	// Model is model.name: the upstream model ("gpt-4o-mini"); may be empty.
	Model string
	// EndpointType is the endpoint's type (deployments.TypeChat, ...).
	EndpointType string
	// Settings is model.config as the YAML gave it, with the Spec's
	// SecretFields resolved to the secret itself.
	Settings map[string]any
	// HTTPClient is the client to call the upstream with; never nil. The
	// gateway sets its transport (connection pool, dial timeouts); the
	// request's ctx carries the per-call deadline.
	HTTPClient *http.Client
	// Logger takes the adapter's log lines (never with a key); never nil.
	Logger *slog.Logger
	// Now returns the time (for Retry-After dates); never nil.
	Now func() time.Time
}

// String returns a setting as a string ("" when absent or not a string).
func (c *Config) String(key string) string {
	s, _ := c.Settings[key].(string)
	return s
}

// Constructor builds a Provider for one endpoint. An error means the
// config is not usable (a required setting missing, a bad value): it
// names the setting, never its secret value.
type Constructor func(cfg Config) (Provider, error)

// Spec registers a provider.
type Spec struct {
	// Name is MLflow's provider name, e.g. "openai".
	Name string
	// Aliases are other names that select the same constructor, e.g.
	// "amazon-bedrock" for "bedrock".
	Aliases []string
	// New builds the provider.
	New Constructor
	// SecretFields are the model.config keys that hold secrets (API keys),
	// resolved as MLflow does before New sees them: "$NAME" is the
	// environment variable NAME, an existing file's path is the file's
	// content, anything else the literal secret.
	SecretFields []string
	// RequiredFields are the model.config keys the config must have; a
	// missing one is reported with MLflow's validation wording.
	RequiredFields []string
	// EndpointTypes are the endpoint types the provider serves; empty:
	// all three.
	EndpointTypes []string
}

var (
	mu    sync.RWMutex
	specs = map[string]*Spec{}
)

// Register adds a provider under its name and aliases. It panics on a
// name already registered: adapters register in init, once.
func Register(s Spec) {
	mu.Lock()
	defer mu.Unlock()
	if s.Name == "" || s.New == nil {
		panic("provider.Register: a spec needs a name and a constructor")
	}
	for _, n := range append([]string{s.Name}, s.Aliases...) {
		if _, dup := specs[n]; dup {
			panic(fmt.Sprintf("provider.Register: %q registered twice", n))
		}
		specs[n] = &s
	}
}

// Lookup returns the spec registered under name (a name or an alias).
func Lookup(name string) (*Spec, bool) {
	mu.RLock()
	defer mu.RUnlock()
	s, ok := specs[name]
	return s, ok
}

// Names returns every registered name and alias, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Serves reports whether the spec serves endpointType.
func (s *Spec) Serves(endpointType string) bool {
	return len(s.EndpointTypes) == 0 || slices.Contains(s.EndpointTypes, endpointType)
}
