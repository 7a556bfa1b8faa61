package options

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// Output is -o: a table or JSON.
type Output struct {
	Format string
}

// AddFlags adds --output (-o) to cmd.
func (o *Output) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.Format, "output", "o", "table", "table or json")
}

// Check refuses a format other than table or json.
func (o *Output) Check() error {
	if o.Format != "table" && o.Format != "json" {
		return fmt.Errorf("--output must be table or json, not %q", o.Format)
	}
	return nil
}

// Print writes v as indented JSON, or calls table to write a table.
func (o *Output) Print(w io.Writer, v any, table func(*tabwriter.Writer)) error {
	if o.Format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// OCI are the flags of commands that talk to an OCI registry (pack, pull):
// --insecure.
type OCI struct {
	Insecure bool
}

// AddFlags adds --insecure to cmd.
func (o *OCI) AddFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.Insecure, "insecure", false, "allow plain HTTP to the OCI registry (localhost always may)")
}
