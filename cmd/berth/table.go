package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berthml/berth/api/mlflowrest"
)

// clientOptions are the flags of the commands that only talk to the
// registry (models, runs): the registry's and -o.
type clientOptions struct {
	registryOptions
	outputOptions
}

func (o *clientOptions) addFlags(cmd *cobra.Command) {
	o.registryOptions.AddFlags(cmd)
	o.outputOptions.AddFlags(cmd)
}

// client checks -o and returns a client of the registry.
func (o *clientOptions) client() (*mlflowrest.Client, error) {
	if o.uri == "" {
		return nil, fmt.Errorf("no registry: give --registry-uri (or set BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)")
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	return o.registryOptions.client()
}

// checkRegistryURI explains a registry URI that is not an http:// or
// https:// URL, naming where it came from.
func checkRegistryURI(uri string) error {
	if err := mlflowrest.CheckBaseURL(uri); err != nil {
		return fmt.Errorf("%w (--registry-uri, BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)", err)
	}
	return nil
}

// checkRegistryFlag checks --registry-uri when given on the command line,
// for every command that has it, before the command runs. Values from the
// environment are checked where they are used: MLFLOW_TRACKING_URI may
// name a store berth does not read, for a command that needs no registry.
func checkRegistryFlag(flags *pflag.FlagSet) error {
	f := flags.Lookup("registry-uri")
	if f == nil || !f.Changed || f.Value.String() == "" {
		return nil
	}
	return checkRegistryURI(f.Value.String())
}

func row(w io.Writer, cols ...any) {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprint(c)
	}
	fmt.Fprintln(w, strings.Join(parts, "\t"))
}

func aliasesOf(as []mlflowrest.RegisteredModelAlias, version string) string {
	var out []string
	for _, a := range as {
		if version == "" || a.Version == version {
			out = append(out, "@"+a.Alias)
		}
	}
	return strings.Join(out, ",")
}
