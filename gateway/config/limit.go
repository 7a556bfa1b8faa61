package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// granularities are the periods the limits library (under slowapi)
// understands, with its lengths.
var granularities = map[string]time.Duration{
	"second": time.Second,
	"minute": time.Minute,
	"hour":   time.Hour,
	"day":    24 * time.Hour,
	"month":  30 * 24 * time.Hour,
	"year":   12 * 30 * 24 * time.Hour,
}

const limitError = "Failed to parse the rate limit configuration.Please make sure limit.calls is a positive number andlimit.renewal_period is a right granularity"

// parseLimit reads limit{calls, renewal_period} as MLflow does: it
// formats "{calls}/{renewal_period}" and parses it with the limits
// library, whose grammar is "N/[M ]granularity[s]".
func parseLimit(v any) (*Limit, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{Message: limitError}
	}
	calls, ok := m["calls"].(int)
	if !ok || calls < 0 {
		return nil, &Error{Message: limitError}
	}
	period, ok := m["renewal_period"].(string)
	if !ok {
		return nil, &Error{Message: limitError}
	}
	p := strings.ToLower(strings.TrimSpace(period))
	multiple := 1
	if f := strings.Fields(p); len(f) == 2 {
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 1 {
			return nil, &Error{Message: limitError}
		}
		multiple, p = n, f[1]
	}
	unit, ok := granularities[strings.TrimSuffix(p, "s")]
	if !ok {
		return nil, &Error{Message: limitError}
	}
	return &Limit{Calls: calls, RenewalPeriod: period, Multiple: multiple, Period: time.Duration(multiple) * unit}, nil
}

// String is the limit as slowapi writes it in a 429: "2 per 1 minute".
func (l *Limit) String() string {
	unit := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(l.RenewalPeriod)), "s")
	if f := strings.Fields(unit); len(f) == 2 {
		unit = strings.TrimSuffix(f[1], "s")
	}
	return fmt.Sprintf("%d per %d %s", l.Calls, l.Multiple, unit)
}
