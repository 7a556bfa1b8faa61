package keys

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Key is a gateway key as stored: everything but its secret.
type Key struct {
	ID   string // random, 16 hex digits
	Name string // unique among keys not revoked
	Hint string // "bk-...Ab3x": the secret's last four characters
	// Endpoints the key may call; empty means every endpoint.
	Endpoints []string
	Limits
	ExpiresAt time.Time // zero: never
	CreatedAt time.Time
	RevokedAt time.Time // zero: not revoked
}

// Limits are what a key may use. Zero means no limit.
type Limits struct {
	RequestsPerMinute int64
	TokensPerMinute   int64
	DayTokens         int64 // tokens (input + output) per UTC day
	MonthTokens       int64 // tokens per UTC calendar month
	DaySpend          Spend // cost per UTC day, from the price table
	MonthSpend        Spend // cost per UTC calendar month
}

// Revoked reports whether the key was revoked.
func (k Key) Revoked() bool { return !k.RevokedAt.IsZero() }

// Expired reports whether the key has expired at now.
func (k Key) Expired(now time.Time) bool { return !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) }

// Allows reports whether the key may call endpoint.
func (k Key) Allows(endpoint string) bool {
	return len(k.Endpoints) == 0 || slices.Contains(k.Endpoints, endpoint)
}

// Spec is what a new key is created with.
type Spec struct {
	Name      string
	Endpoints []string // empty: every endpoint
	Limits
	ExpiresAt time.Time // zero: never
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ErrInvalidSpec is wrapped by the errors of Spec.Validate.
var ErrInvalidSpec = errors.New("invalid gateway key")

// Validate names the first field of s that is not acceptable.
func (s Spec) Validate(now time.Time) error {
	if !nameRE.MatchString(s.Name) || len(s.Name) > 255 {
		return fmt.Errorf("%w: name %q must be 1 to 255 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalidSpec, s.Name)
	}
	for _, e := range s.Endpoints {
		if e == "" || strings.ContainsAny(e, ", \t\n") {
			return fmt.Errorf("%w: endpoint name %q must be non-empty, without commas or spaces", ErrInvalidSpec, e)
		}
	}
	for _, l := range []struct {
		name string
		v    int64
	}{{"requests per minute", s.RequestsPerMinute}, {"tokens per minute", s.TokensPerMinute},
		{"day tokens", s.DayTokens}, {"month tokens", s.MonthTokens},
		{"day spend", int64(s.DaySpend)}, {"month spend", int64(s.MonthSpend)}} {
		if l.v < 0 {
			return fmt.Errorf("%w: %s must not be negative (0: no limit), not %d", ErrInvalidSpec, l.name, l.v)
		}
	}
	if !s.ExpiresAt.IsZero() && !s.ExpiresAt.After(now) {
		return fmt.Errorf("%w: expiry %s is not in the future", ErrInvalidSpec, s.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// Spend is an amount of money in billionths of a US dollar, so that a
// price per token (e.g. $0.15 per million tokens: 150 nano-dollars) adds
// up exactly.
type Spend int64

// Nano-dollars per dollar.
const dollar = Spend(1_000_000_000)

// String writes s in dollars, e.g. "$1.5", "$0.00000015".
func (s Spend) String() string {
	return "$" + strconv.FormatFloat(float64(s)/float64(dollar), 'f', -1, 64)
}

// ParseSpend reads an amount of US dollars such as "12.50", "$0.3" or
// "1e-3", to the nano-dollar.
func ParseSpend(s string) (Spend, error) {
	f, err := strconv.ParseFloat(strings.TrimPrefix(strings.TrimSpace(s), "$"), 64)
	if err != nil {
		return 0, fmt.Errorf("parsing amount %q: want dollars, e.g. 12.50", s)
	}
	return dollars(f)
}

// dollars converts an amount in dollars, refusing a negative, NaN or
// unrepresentable one.
func dollars(f float64) (Spend, error) {
	if math.IsNaN(f) || f < 0 || f*float64(dollar) > math.MaxInt64/2 {
		return 0, fmt.Errorf("amount %v: want a non-negative number of dollars below $4.6e9", f)
	}
	return Spend(math.Round(f * float64(dollar))), nil
}
