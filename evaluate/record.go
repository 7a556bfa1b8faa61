package evaluate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// Record is what berth evaluate prints: the evaluation of a model on some
// data, the baseline's if one was evaluated too, the threshold checks and
// where the artifacts and the run went. Write prints it as a table or as
// JSON.
type Record struct {
	Model       string                     `json:"model"`
	Data        string                     `json:"data"`
	Target      string                     `json:"target"`
	ModelType   ModelType                  `json:"model_type"`
	Result      *Result                    `json:"-"`
	Baseline    *Result                    `json:"-"`
	Thresholds  map[string]MetricThreshold `json:"-"`
	Validation  error                      `json:"-"` // ValidateResults' error
	ArtifactDir string                     `json:"artifacts_dir,omitempty"`
	Artifacts   []string                   `json:"artifacts"`
	RunID       string                     `json:"run_id,omitempty"`
}

// MarshalJSON adds the metrics, the baseline's, the validation outcome
// (when there were thresholds) and the warnings to the record's fields.
func (r *Record) MarshalJSON() ([]byte, error) {
	type plain Record
	out := struct {
		*plain
		Metrics         map[string]float64 `json:"metrics"`
		BaselineMetrics map[string]float64 `json:"baseline_metrics,omitempty"`
		Validation      *recordValidation  `json:"validation,omitempty"`
		Warnings        []string           `json:"warnings,omitempty"`
	}{plain: (*plain)(r), Metrics: r.Result.Metrics, Warnings: r.Result.Warnings}
	if r.Baseline != nil {
		out.BaselineMetrics = r.Baseline.Metrics
	}
	if len(r.Thresholds) > 0 {
		out.Validation = &recordValidation{Passed: r.Validation == nil, Failures: Failures(r.Validation)}
	}
	return json.Marshal(out)
}

type recordValidation struct {
	Passed   bool      `json:"passed"`
	Failures []Failure `json:"failures"`
}

// Failures returns the failed checks of ValidateResults' error (nil for
// none, or for another error).
func Failures(err error) []Failure {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Failures
	}
	return nil
}

// Write prints the record as indented JSON (format "json") or as a table
// of metrics (beside the baseline's) followed by warnings, artifacts, the
// run and the checks' outcome.
func (r *Record) Write(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if r.Baseline != nil {
		fmt.Fprintln(tw, "METRIC\tCANDIDATE\tBASELINE")
	} else {
		fmt.Fprintln(tw, "METRIC\tVALUE")
	}
	for _, k := range slices.Sorted(maps.Keys(r.Result.Metrics)) {
		if r.Baseline != nil {
			bs := "-"
			if b, ok := r.Baseline.Metrics[k]; ok {
				bs = FormatMetric(b)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", k, FormatMetric(r.Result.Metrics[k]), bs)
		} else {
			fmt.Fprintf(tw, "%s\t%s\n", k, FormatMetric(r.Result.Metrics[k]))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, warn := range r.Result.Warnings {
		fmt.Fprintf(w, "note: %s\n", warn)
	}
	if r.ArtifactDir != "" && len(r.Artifacts) > 0 {
		fmt.Fprintf(w, "\nartifacts in %s: %s\n", r.ArtifactDir, strings.Join(r.Artifacts, ", "))
	}
	if r.RunID != "" {
		fmt.Fprintf(w, "logged to run %s\n", r.RunID)
	}
	if len(r.Thresholds) > 0 {
		if r.Validation == nil {
			fmt.Fprintf(w, "\nvalidation passed: %d threshold(s)\n", len(r.Thresholds))
		} else {
			fmt.Fprintf(w, "\nvalidation failed:\n")
			for _, f := range Failures(r.Validation) {
				fmt.Fprintf(w, "  %s\n", f.Message)
			}
		}
	}
	return nil
}
