package promote

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/berthml/berth/evaluate"
)

// Write writes the outcome as indented JSON when format is "json", else
// as a table of the candidate's and the holder's metrics, each failed
// check, and one line that says what happened to the alias.
func (o *Outcome) Write(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(o)
	}
	if o.AlreadyPromoted {
		_, err := fmt.Fprintf(w, "@%s already points at %s version %s: nothing to do\n", o.Alias, o.Model, o.Candidate)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	holder := "@" + o.Alias + " (v" + o.Holder + ")"
	if o.Holder == "" {
		holder = "@" + o.Alias + " (none)"
	}
	fmt.Fprintln(tw, strings.Join([]string{"METRIC", "CANDIDATE (v" + o.Candidate + ")", holder}, "\t"))
	for _, k := range slices.Sorted(maps.Keys(o.Metrics)) {
		hv := "-"
		if v, ok := o.HolderMetrics[k]; ok {
			hv = evaluate.FormatMetric(v)
		}
		fmt.Fprintln(tw, strings.Join([]string{k, evaluate.FormatMetric(o.Metrics[k]), hv}, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if o.SkippedChecks {
		fmt.Fprintf(w, "@%s points at no version yet: the change checks were skipped\n", o.Alias)
	}
	for _, f := range o.Failures {
		fmt.Fprintf(w, "FAILED %s\n", f.Message)
	}
	was := cmp.Or(o.Holder, "none")
	var err error
	switch {
	case o.DryRun && len(o.Failures) == 0:
		_, err = fmt.Fprintf(w, "dry run: every check passed; @%s would move to version %s\n", o.Alias, o.Candidate)
	case o.DryRun:
		_, err = fmt.Fprintf(w, "dry run: @%s would stay on version %s\n", o.Alias, was)
	case o.Promoted:
		_, err = fmt.Fprintf(w, "promoted: @%s now points at %s version %s (was %s); evaluation run %s\n", o.Alias, o.Model, o.Candidate, was, o.CandidateRunID)
	default:
		_, err = fmt.Fprintf(w, "refused: @%s stays on version %s; evaluation run %s\n", o.Alias, was, o.CandidateRunID)
	}
	return err
}
