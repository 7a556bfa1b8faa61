package recipe

import (
	"fmt"
	"io"
	"strings"
)

// Inspect writes the recipe's graph and each step's card (its latest
// attempt: what it read, wrote and measured, its runs, its outcome) to w.
func Inspect(w io.Writer, rec *Recipe) error {
	fmt.Fprintf(w, "recipe %s (%s, model %s, target %s)", rec.Template, rec.ModelType, rec.ModelName, rec.TargetCol)
	if rec.Profile != "" {
		fmt.Fprintf(w, ", profile %s", rec.Profile)
	}
	fmt.Fprintln(w)
	names := make([]string, len(rec.Steps))
	for i, s := range rec.Steps {
		names[i] = s.Name
	}
	fmt.Fprintf(w, "graph: %s\n", strings.Join(names, " -> "))
	for _, s := range rec.Steps {
		c := rec.LastCard(s)
		fmt.Fprintf(w, "\n[%s] %s step", s.Name, s.Kind)
		if s.Kind == KindProject {
			fmt.Fprintf(w, ", entry point %s", s.EntryPoint)
		}
		fmt.Fprintln(w)
		if c == nil {
			fmt.Fprintln(w, "  not run yet")
			continue
		}
		status := c.Status
		if c.Cached {
			status += " (cached)"
		}
		fmt.Fprintf(w, "  status:  %s, key %s, started %s, %.2fs\n", status, c.Key, c.Started, c.Seconds)
		if c.Error != "" {
			fmt.Fprintf(w, "  error:   %s\n", c.Error)
		}
		for _, f := range sortedKeys(c.Read) {
			fmt.Fprintf(w, "  read:    %s (sha256 %s)\n", f, c.Read[f][:12])
		}
		for _, f := range c.Wrote {
			fmt.Fprintf(w, "  wrote:   %s\n", f)
		}
		for _, m := range sortedKeys(c.Metrics) {
			fmt.Fprintf(w, "  metric:  %s = %.6g\n", m, c.Metrics[m])
		}
		for _, k := range sortedKeys(c.Values) {
			fmt.Fprintf(w, "  value:   %s = %s\n", k, c.Values[k])
		}
		for _, f := range c.Failures {
			fmt.Fprintf(w, "  failed:  %s\n", f)
		}
		for _, id := range c.RunIDs {
			fmt.Fprintf(w, "  run:     %s\n", id)
		}
	}
	return nil
}
