package evaluate

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/berthml/berth/evaluate/llm"
	"github.com/berthml/berth/evaluate/llm/judge"
)

// ErrBadRequirement is wrapped by every error from [ParseRequire] and
// [ParseChange].
var ErrBadRequirement = errors.New("invalid requirement")

// greaterIsBetter holds the direction of the metrics MLflow's default evaluator
// logs for classifiers and regressors, as its builtin metrics declare it.
var greaterIsBetter = map[string]bool{
	"accuracy_score":                 true,
	"precision_score":                true,
	"recall_score":                   true,
	"f1_score":                       true,
	"roc_auc":                        true,
	"precision_recall_auc":           true,
	"r2_score":                       true,
	"log_loss":                       false,
	"mean_absolute_error":            false,
	"mean_squared_error":             false,
	"root_mean_squared_error":        false,
	"max_error":                      false,
	"mean_absolute_percentage_error": false,
}

// GreaterIsBetter reports whether a higher value is better for one of MLflow's
// built-in metric names (accuracy_score, f1_score, roc_auc, r2_score … true;
// log_loss, mean_squared_error, max_error … false). known is false, and greater
// with it, for other names.
func GreaterIsBetter(metric string) (greater, known bool) {
	if greater, known = greaterIsBetter[metric]; !known {
		greater, known = llm.GreaterIsBetter(metric)
	}
	if !known {
		greater, known = judge.GreaterIsBetter(metric)
	}
	return greater, known
}

// ParseRequire parses a requirement such as "accuracy_score>=0.9" or
// "log_loss <= 0.2": a metric name, ">=" or "<=", and a finite number, with
// optional spaces between them. It returns the metric name and a
// MetricThreshold with Threshold set and GreaterIsBetter true for ">=".
//
// MLflow's thresholds are inclusive, so the strict ">" and "<" are refused, as
// are "=", "==", "!=", "=>" and "=<". A metric name is letters, digits, '_',
// '.', '-' and '/'. The errors wrap [ErrBadRequirement].
func ParseRequire(s string) (string, MetricThreshold, error) {
	i := strings.IndexAny(s, "<>=!")
	if i < 0 {
		return "", MetricThreshold{}, badRequirement(s, `want METRIC>=VALUE or METRIC<=VALUE`)
	}
	name, rest := strings.TrimSpace(s[:i]), s[i:]
	if err := checkMetricName(name); err != nil {
		return "", MetricThreshold{}, badRequirement(s, err.Error())
	}
	j := strings.IndexFunc(rest, func(r rune) bool { return !strings.ContainsRune("<>=!", r) })
	if j < 0 {
		j = len(rest)
	}
	op, num := rest[:j], rest[j:]
	var greater bool
	switch op {
	case ">=":
		greater = true
	case "<=":
		greater = false
	case ">", "<":
		return "", MetricThreshold{}, badRequirement(s, fmt.Sprintf(
			"strict %q is not supported: thresholds are inclusive as in MLflow; use %q", op, op+"="))
	default:
		return "", MetricThreshold{}, badRequirement(s, fmt.Sprintf("unknown operator %q: want >= or <=", op))
	}
	v, err := parseRequireValue(num)
	if err != nil {
		return "", MetricThreshold{}, badRequirement(s, err.Error())
	}
	return name, MetricThreshold{Threshold: &v, GreaterIsBetter: greater}, nil
}

// FormatRequire writes metric and t's threshold in the form [ParseRequire]
// reads, e.g. "accuracy_score>=0.9"; it ignores the change fields and returns
// "" when t has no Threshold.
func FormatRequire(metric string, t MetricThreshold) string {
	if t.Threshold == nil {
		return ""
	}
	op := "<="
	if t.GreaterIsBetter {
		op = ">="
	}
	return metric + op + strconv.FormatFloat(*t.Threshold, 'g', -1, 64)
}

// ParseChange parses a minimum change given as "METRIC=VALUE", e.g.
// "accuracy_score=0.01", with optional spaces around '='. VALUE must be a
// finite number; its range is checked by [MetricThreshold.Validate]. The
// errors wrap [ErrBadRequirement].
func ParseChange(s string) (metric string, v float64, err error) {
	name, num, ok := strings.Cut(s, "=")
	if !ok {
		return "", 0, badRequirement(s, "want METRIC=VALUE")
	}
	name = strings.TrimSpace(name)
	if err := checkMetricName(name); err != nil {
		return "", 0, badRequirement(s, err.Error())
	}
	v, err = parseRequireValue(num)
	if err != nil {
		return "", 0, badRequirement(s, err.Error())
	}
	return name, v, nil
}

// MergeThresholds builds the thresholds for [ValidateResults] from
// requirements ("METRIC>=VALUE", see [ParseRequire]) and minimum absolute and
// relative changes ("METRIC=VALUE", see [ParseChange]), as given on the command
// line. A change takes its metric's direction from a requirement on the same
// metric, else from [GreaterIsBetter]; a change on a metric of unknown
// direction without a requirement is refused, and so is a requirement whose
// direction contradicts a built-in metric's when a change is also asked for it
// (it would ask the candidate to be worse than the baseline). Each metric may
// appear at most once in each list. All problems are reported together.
func MergeThresholds(requires, minAbsoluteChanges, minRelativeChanges []string) (map[string]MetricThreshold, error) {
	out := make(map[string]MetricThreshold)
	var errs []error
	for _, s := range requires {
		name, t, err := ParseRequire(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := out[name]; dup {
			errs = append(errs, fmt.Errorf("requirement %q: metric %s already has a requirement", s, name))
			continue
		}
		out[name] = t
	}
	required := make(map[string]bool, len(out))
	for name := range out {
		required[name] = true
	}

	changes := []struct {
		kind string
		list []string
		set  func(*MetricThreshold, float64) bool // false when already set
	}{
		{CheckMinAbsoluteChange, minAbsoluteChanges, func(t *MetricThreshold, v float64) bool {
			if t.MinAbsoluteChange != nil {
				return false
			}
			t.MinAbsoluteChange = &v
			return true
		}},
		{CheckMinRelativeChange, minRelativeChanges, func(t *MetricThreshold, v float64) bool {
			if t.MinRelativeChange != nil {
				return false
			}
			t.MinRelativeChange = &v
			return true
		}},
	}
	for _, c := range changes {
		for _, s := range c.list {
			name, v, err := ParseChange(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", c.kind, err))
				continue
			}
			greater, known := GreaterIsBetter(name)
			t, ok := out[name]
			switch {
			case required[name] && known && t.GreaterIsBetter != greater:
				errs = append(errs, fmt.Errorf("%s %q: the requirement on %s says %s is better, "+
					"but %s is a metric where %s is better; the change would ask for a worse model",
					c.kind, s, name, betterWord(t.GreaterIsBetter), name, betterWord(greater)))
				continue
			case !ok && !known:
				errs = append(errs, fmt.Errorf("%s %q: %s is not a built-in metric, so its direction is unknown; "+
					"add a requirement such as %q or %q to give it", c.kind, s, name, name+">=VALUE", name+"<=VALUE"))
				continue
			case !ok:
				t.GreaterIsBetter = greater
			}
			if !c.set(&t, v) {
				errs = append(errs, fmt.Errorf("%s %q: metric %s already has a %s", c.kind, s, name, c.kind))
				continue
			}
			out[name] = t
		}
	}
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := out[name].Validate(); err != nil {
			errs = append(errs, fmt.Errorf("metric %s: %w", name, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func betterWord(greater bool) string {
	if greater {
		return "higher"
	}
	return "lower"
}

func badRequirement(s, why string) error {
	return fmt.Errorf("%w %q: %s", ErrBadRequirement, s, why)
}

// checkMetricName accepts the names MLflow logs: letters, digits and "_.-/".
func checkMetricName(name string) error {
	if name == "" {
		return errors.New("missing metric name")
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_.-/", r) {
			return fmt.Errorf("metric name %q: %q is not allowed; use letters, digits, '_', '.', '-' or '/'", name, r)
		}
	}
	return nil
}

// parseRequireValue reads a finite decimal number, optionally signed and with an
// exponent, between optional spaces. It refuses what strconv.ParseFloat would
// also take: "NaN", "Inf", hexadecimal and underscores.
func parseRequireValue(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("missing value")
	}
	if !isDecimalLiteral(s) {
		return 0, fmt.Errorf("value %q is not a decimal number", s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, fmt.Errorf("value %q is out of range", s)
	}
	return v, nil
}

// isDecimalLiteral matches [+-]?(D+(\.D*)?|\.D+)([eE][+-]?D+)? with D an ASCII digit.
func isDecimalLiteral(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
