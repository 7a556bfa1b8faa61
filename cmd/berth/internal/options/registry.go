package options

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berthml/berth/api/mlflowrest"
)

// Registry are the flags of every command that talks to the registry:
// --registry-uri and --registry-token.
type Registry struct {
	URI, Token string
}

// AddFlags adds --registry-uri and --registry-token to cmd.
func (o *Registry) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.URI, "registry-uri", "", "the registry, an MLflow-compatible tracking server (models:/ URIs are resolved against it)")
	f.StringVar(&o.Token, "registry-token", "", "bearer token for the registry")
}

// Client returns a client of the registry, which must be given.
func (o *Registry) Client() (*mlflowrest.Client, error) {
	if o.URI == "" {
		return nil, fmt.Errorf("no registry: give --registry-uri (or set BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)")
	}
	if err := CheckRegistryURI(o.URI); err != nil {
		return nil, err
	}
	return o.NewClient(), nil
}

// NewClient returns a client of the registry without checking the URI.
func (o *Registry) NewClient() *mlflowrest.Client {
	return &mlflowrest.Client{BaseURL: o.URI, Token: o.Token}
}

// ClientOrNil returns a client of the registry, or nil when none is given.
func (o *Registry) ClientOrNil() *mlflowrest.Client {
	if o.URI == "" {
		return nil
	}
	return o.NewClient()
}

// CheckRegistryURI explains a registry URI that is not an http:// or
// https:// URL, naming where it came from.
func CheckRegistryURI(uri string) error {
	if err := mlflowrest.CheckBaseURL(uri); err != nil {
		return fmt.Errorf("%w (--registry-uri, BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)", err)
	}
	return nil
}

// CheckRegistryFlag checks --registry-uri when given on the command line,
// for every command that has it, before the command runs. Values from the
// environment are checked where they are used: MLFLOW_TRACKING_URI may
// name a store berth does not read, for a command that needs no registry.
func CheckRegistryFlag(flags *pflag.FlagSet) error {
	f := flags.Lookup("registry-uri")
	if f == nil || !f.Changed || f.Value.String() == "" {
		return nil
	}
	return CheckRegistryURI(f.Value.String())
}

// Client are the flags of the commands that only talk to the registry
// (models, runs): the registry's and -o.
type Client struct {
	Registry
	Output
}

// AddFlags adds the registry flags and -o to cmd.
func (o *Client) AddFlags(cmd *cobra.Command) {
	o.Registry.AddFlags(cmd)
	o.Output.AddFlags(cmd)
}

// Client checks -o and returns a client of the registry.
func (o *Client) Client() (*mlflowrest.Client, error) {
	if o.URI == "" {
		return nil, fmt.Errorf("no registry: give --registry-uri (or set BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)")
	}
	if err := o.Check(); err != nil {
		return nil, err
	}
	return o.Registry.Client()
}
