package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berthml/berth/api/mlflowrest"
)

// clientOptions are the flags of commands that talk to a registry.
type clientOptions struct {
	registryURI string
	token       string
	output      string
}

func (o *clientOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.registryURI, "registry-uri", "", "the registry (an MLflow-compatible tracking server)")
	f.StringVar(&o.token, "registry-token", "", "bearer token for the registry")
	f.StringVarP(&o.output, "output", "o", "table", "table or json")
}

func (o *clientOptions) client() (*mlflowrest.Client, error) {
	if o.registryURI == "" {
		return nil, fmt.Errorf("no registry: give --registry-uri (or set BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)")
	}
	if o.output != "table" && o.output != "json" {
		return nil, fmt.Errorf("--output must be table or json, not %q", o.output)
	}
	if err := checkRegistryURI(o.registryURI); err != nil {
		return nil, err
	}
	return &mlflowrest.Client{BaseURL: o.registryURI, Token: o.token}, nil
}

// checkRegistryURI explains a registry URI that is not an http:// or
// https:// URL, where Go's URL parser would say "first path segment in URL
// cannot contain colon".
func checkRegistryURI(uri string) error {
	u, err := url.Parse(uri)
	switch {
	case err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
		return nil
	case !strings.Contains(uri, "://"):
		return fmt.Errorf("registry URI %q has no scheme: give the registry's URL, e.g. http://%s (--registry-uri, BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)",
			uri, strings.TrimLeft(uri, "/"))
	}
	return fmt.Errorf("registry URI %q must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:5000 (--registry-uri, BERTH_REGISTRY_URI or MLFLOW_TRACKING_URI)", uri)
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

// print writes v as indented JSON, or calls table to write a table.
func (o *clientOptions) print(w io.Writer, v any, table func(*tabwriter.Writer)) error {
	if o.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
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
