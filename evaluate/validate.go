package evaluate

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// This file follows MLflow's model validation in
// mlflow/models/evaluation/validation.py (MetricThreshold, _MetricValidationResult,
// _validate) as it stands in MLflow 2.x once mlflow.validate_evaluation_results
// exists; the rules are the same back to 2.3, when _validate lived in
// evaluation/base.py. The failure messages are MLflow's word for word, with
// numbers written as Python writes floats. Where berth differs, the comment at
// the rule says so.

// ErrInvalidThreshold is wrapped by every error that [MetricThreshold.Validate]
// returns.
var ErrInvalidThreshold = errors.New("invalid metric threshold")

// zeroBaselineEpsilon is the margin MLflow's relative-change check falls back to
// when the baseline value is 0: the candidate must beat 0 by at least it.
const zeroBaselineEpsilon = 1e-10

// Check names, as they appear in [Failure.Check].
const (
	CheckThreshold         = "threshold"
	CheckMinAbsoluteChange = "min_absolute_change"
	CheckMinRelativeChange = "min_relative_change"
	CheckMissingCandidate  = "missing_candidate"
	CheckMissingBaseline   = "missing_baseline"
)

// MetricThreshold is MLflow's MetricThreshold: the rules one metric of a
// candidate model must pass. Nil fields are not checked; at least one must be
// set.
type MetricThreshold struct {
	// Threshold: the candidate value must be >= Threshold when GreaterIsBetter,
	// else <= Threshold.
	Threshold *float64
	// MinAbsoluteChange (> 0): the candidate value must be >= baseline +
	// MinAbsoluteChange when GreaterIsBetter, else <= baseline - MinAbsoluteChange.
	MinAbsoluteChange *float64
	// MinRelativeChange (0 to 1): the candidate value must beat the baseline by
	// at least this fraction of the baseline, (candidate-baseline)/baseline when
	// GreaterIsBetter, else (baseline-candidate)/baseline. As in MLflow the
	// division is by the signed baseline, not its absolute value, so a negative
	// baseline inverts the check. A baseline of 0 falls back to requiring
	// candidate >= 1e-10 when GreaterIsBetter, else candidate <= -1e-10.
	MinRelativeChange *float64
	// GreaterIsBetter says which direction is better for the metric. MLflow
	// requires it to be given; here the zero value means lower is better, and
	// callers building thresholds from user input must set it on purpose (see
	// [GreaterIsBetter] and [MergeThresholds]).
	GreaterIsBetter bool
}

// Validate checks the arguments as MLflow's MetricThreshold constructor does.
// Unlike MLflow, it also refuses NaN and infinite values. The errors wrap
// [ErrInvalidThreshold].
func (t MetricThreshold) Validate() error {
	if t.Threshold != nil && !thresholdFinite(*t.Threshold) {
		return invalidThreshold("`threshold` parameter must be a finite number")
	}
	if t.MinAbsoluteChange != nil && (!thresholdFinite(*t.MinAbsoluteChange) || *t.MinAbsoluteChange <= 0) {
		return invalidThreshold("`min_absolute_change` parameter must be a positive number")
	}
	if t.MinRelativeChange != nil {
		if v := *t.MinRelativeChange; !(v >= 0 && v <= 1) {
			return invalidThreshold("`min_relative_change` parameter must be between 0 and 1")
		}
	}
	if t.Threshold == nil && t.MinAbsoluteChange == nil && t.MinRelativeChange == nil {
		return invalidThreshold("no threshold was specified")
	}
	return nil
}

func invalidThreshold(msg string) error {
	return fmt.Errorf("%w: %s", ErrInvalidThreshold, msg)
}

func thresholdFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// String describes the thresholds as MLflow's MetricThreshold.__str__ does, e.g.
// "Threshold: 0.9. Minimum Relative Change: 0.05. Higher value is better."
func (t MetricThreshold) String() string {
	var parts []string
	if t.Threshold != nil {
		parts = append(parts, "Threshold: "+pyFloatRepr(*t.Threshold)+".")
	}
	if t.MinAbsoluteChange != nil {
		parts = append(parts, "Minimum Absolute Change: "+pyFloatRepr(*t.MinAbsoluteChange)+".")
	}
	if t.MinRelativeChange != nil {
		parts = append(parts, "Minimum Relative Change: "+pyFloatRepr(*t.MinRelativeChange)+".")
	}
	if t.GreaterIsBetter {
		parts = append(parts, "Higher value is better.")
	} else {
		parts = append(parts, "Lower value is better.")
	}
	return strings.Join(parts, " ")
}

// Failure is one failed check of one metric.
type Failure struct {
	// Metric is the metric's name.
	Metric string
	// Check is one of the Check* constants.
	Check string
	// Candidate and Baseline are the models' values of the metric, nil where
	// missing or not needed by the check.
	Candidate, Baseline *float64
	// Limit is the threshold, minimum absolute change or minimum relative change
	// that failed; nil for the missing_* checks.
	Limit *float64
	// Message is MLflow's failure message for the check.
	Message string
}

// ValidationError is returned by [ValidateResults] when checks fail. It lists
// every failure, sorted by metric name and, within a metric, in MLflow's order:
// threshold, then missing_baseline or min_absolute_change and
// min_relative_change.
type ValidationError struct {
	Failures []Failure
}

// Error joins the failure messages, one per line. (MLflow joins the messages of
// one metric with a space and the metrics with a line break.)
func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		msgs[i] = f.Message
	}
	return strings.Join(msgs, "\n")
}

// ValidateResults checks the candidate model's metrics, and the baseline
// model's where a change is required, against thresholds keyed by metric name,
// as MLflow's validate_evaluation_results does. baseline may be nil; a change
// rule then fails as missing_baseline. It returns nil when every check passes,
// a *[ValidationError] listing all failures when some fail, and an error
// wrapping [ErrInvalidThreshold] when a threshold is itself invalid.
//
// Comparisons are inclusive and done in float64 as MLflow does (so with a
// baseline of 0.1 and a minimum absolute change of 0.2, a candidate of 0.3 fails,
// since 0.1+0.2 > 0.3 in binary floating point). Unlike MLflow, a NaN value
// fails every check it takes part in, and a minimum relative change of 0 needs
// a baseline like any other.
func ValidateResults(thresholds map[string]MetricThreshold, candidate, baseline map[string]float64) error {
	names := make([]string, 0, len(thresholds))
	for name := range thresholds {
		names = append(names, name)
	}
	sort.Strings(names)

	var failures []Failure
	for _, name := range names {
		if err := thresholds[name].Validate(); err != nil {
			return fmt.Errorf("checking threshold of metric %s: %w", name, err)
		}
	}
	for _, name := range names {
		failures = append(failures, validateMetric(name, thresholds[name], candidate, baseline)...)
	}
	if len(failures) == 0 {
		return nil
	}
	return &ValidationError{Failures: failures}
}

// validateMetric runs MLflow's checks for one metric and returns its failures.
func validateMetric(name string, t MetricThreshold, candidate, baseline map[string]float64) []Failure {
	c, ok := candidate[name]
	if !ok {
		return []Failure{{
			Metric: name,
			Check:  CheckMissingCandidate,
			Message: fmt.Sprintf("Metric validation failed: metric %s was missing from the "+
				"evaluation result of the candidate model.", name),
		}}
	}

	// better reports whether a is at least as good as b; false when either is NaN.
	better := func(a, b float64) bool {
		if t.GreaterIsBetter {
			return a >= b
		}
		return a <= b
	}
	// toward moves v by d in the better direction.
	toward := func(v, d float64) float64 {
		if t.GreaterIsBetter {
			return v + d
		}
		return v - d
	}

	var failures []Failure
	if t.Threshold != nil && !better(c, *t.Threshold) {
		failures = append(failures, Failure{
			Metric: name, Check: CheckThreshold, Candidate: floatPtr(c), Limit: floatPtr(*t.Threshold),
			Message: fmt.Sprintf("Metric %[1]s value threshold check failed: candidate model %[1]s = %[2]s, "+
				"%[1]s threshold = %[3]s.", name, pyFloatRepr(c), pyFloatRepr(*t.Threshold)),
		})
	}
	if t.MinAbsoluteChange == nil && t.MinRelativeChange == nil {
		return failures
	}
	b, ok := baseline[name]
	if !ok {
		return append(failures, Failure{
			Metric: name, Check: CheckMissingBaseline, Candidate: floatPtr(c),
			Message: fmt.Sprintf("Model comparison failed: metric %s was missing from "+
				"the evaluation result of the baseline model.", name),
		})
	}

	if t.MinAbsoluteChange != nil && !better(c, toward(b, *t.MinAbsoluteChange)) {
		failures = append(failures, changeFailure(name, CheckMinAbsoluteChange, "absolute", c, b, *t.MinAbsoluteChange))
	}
	if t.MinRelativeChange != nil {
		var pass bool
		if b == 0 {
			// MLflow: "Cannot perform relative model comparison ... as baseline
			// metric value is 0. Falling back to simple comparison".
			pass = better(c, toward(b, zeroBaselineEpsilon))
		} else {
			rel := (b - c) / b
			if t.GreaterIsBetter {
				rel = (c - b) / b
			}
			pass = rel >= *t.MinRelativeChange
		}
		if !pass {
			failures = append(failures, changeFailure(name, CheckMinRelativeChange, "relative", c, b, *t.MinRelativeChange))
		}
	}
	return failures
}

func changeFailure(name, check, kind string, c, b, limit float64) Failure {
	return Failure{
		Metric: name, Check: check, Candidate: floatPtr(c), Baseline: floatPtr(b), Limit: floatPtr(limit),
		Message: fmt.Sprintf("Metric %[1]s minimum %[2]s change check failed: candidate model %[1]s = %[3]s, "+
			"baseline model %[1]s = %[4]s, %[1]s minimum %[2]s change threshold = %[5]s.",
			name, kind, pyFloatRepr(c), pyFloatRepr(b), pyFloatRepr(limit)),
	}
}

func floatPtr(v float64) *float64 { return &v }

// pyFloatRepr writes v as Python's repr(float) does, so that messages read as
// MLflow's: shortest round-trip digits, "1.0" not "1", exponent form below 1e-4
// and from 1e16 ("1e-05", "1e+16"), and "nan", "inf", "-inf".
func pyFloatRepr(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if v != 0 && (exp < -4 || exp >= 16) {
		return e
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// NeedsBaseline reports whether th holds a change check
// (MinAbsoluteChange or MinRelativeChange), which compares with a
// baseline's metrics.
func NeedsBaseline(th map[string]MetricThreshold) bool {
	for _, t := range th {
		if t.MinAbsoluteChange != nil || t.MinRelativeChange != nil {
			return true
		}
	}
	return false
}
