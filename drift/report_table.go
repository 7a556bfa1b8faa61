package drift

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable writes r as a text table, a row per feature (then per output
// column) with its statistics ("-" where one does not apply), followed by
// the report's Summary line.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FEATURE\tROLE\tKIND\tPSI\tKS\tKS P\tJS\tCHI2\tCHI2 P\tSTATUS")
	for _, f := range r.Features {
		role := "input"
		if f.Output {
			role = "output"
		}
		cols := []string{f.Feature, role, string(f.Kind), tableNumber(f.PSI), tableNumber(f.KSStatistic), tableNumber(f.KSPValue),
			tableNumber(f.JSDistance), tableNumber(f.Chi2), tableNumber(f.Chi2PValue), string(f.Status)}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", r.Summary())
	return err
}

// tableNumber is p to four significant digits, or "-" when nil.
func tableNumber(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.4g", *p)
}
