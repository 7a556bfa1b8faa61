// Package cliflag holds the flag value types of the berth command line that
// are more than a string or a number: sizes with units, a token that must
// be told apart from no token, and token lists that come from repeated
// flags or a comma-separated variable.
//
// Each type implements pflag.Value (String, Set, Type), so that the root
// command's table of BERTH_* variables sets them through Set as the command
// line does.
package cliflag

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ByteSize is a flag value of bytes with an optional KiB/MiB/GiB (or
// KB/MB/GB) suffix; it must be positive.
type ByteSize int64

// String writes the size as Set reads it, for --help's defaults (see
// [FormatSize]).
func (b *ByteSize) String() string { return FormatSize(int64(*b)) }

// FormatSize writes n bytes as the size flags read them, in the largest
// binary unit that divides it (100MiB, 64KiB), else in bytes (1500B); 0 is
// "0". Messages that name a size flag's value use it too.
func FormatSize(n int64) string {
	if n == 0 {
		return "0"
	}
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// RoundSize writes n bytes to one decimal in the largest binary unit not
// above it (10.1GiB, 346.0MiB, 900B), for sizes that are estimates, not a
// flag's value.
func RoundSize(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size {
			return strconv.FormatFloat(float64(n)/float64(u.size), 'f', 1, 64) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// Type names the value in --help.
func (b *ByteSize) Type() string { return "size" }

// Set reads a positive number of bytes with an optional unit.
func (b *ByteSize) Set(s string) error {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("size %q must be a positive number of bytes, optionally with KiB, MiB or GiB", s)
	}
	if n > math.MaxInt64/mult {
		return fmt.Errorf("size %q is too large", s)
	}
	*b = ByteSize(n * mult)
	return nil
}

// SizeOrOff is a ByteSize that may be 0, for limits that 0 turns off.
type SizeOrOff ByteSize

func (b *SizeOrOff) String() string { return (*ByteSize)(b).String() }

// Type names the value in --help.
func (b *SizeOrOff) Type() string { return "size" }

// Set reads 0, or a size as ByteSize does.
func (b *SizeOrOff) Set(s string) error {
	if strings.TrimSpace(s) == "0" {
		*b = 0
		return nil
	}
	return (*ByteSize)(b).Set(s)
}

// Token is a flag value that remembers being set, so that an empty
// --token ” or BERTH_TOKEN= is told apart from no token at all.
type Token struct {
	Value string
	IsSet bool
}

func (t *Token) String() string { return t.Value }

// Type names the value in --help.
func (t *Token) Type() string { return "string" }

// Set takes the token as given; Check says whether it is usable.
func (t *Token) Set(v string) error { t.Value, t.IsSet = v, true; return nil }

// Check refuses a token that was set but is empty, which would leave the
// routes it guards open, and one that an Authorization header cannot
// carry. flag and env name where it came from in the message.
func (t *Token) Check(flag, env string) error {
	if t.IsSet && t.Value == "" {
		return fmt.Errorf("%s (or %s) is empty, which would leave the scoring routes open: give a token, or leave it out to serve without one", flag, env)
	}
	if strings.ContainsFunc(t.Value, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%s has blanks or control characters, which an Authorization header cannot carry", flag)
	}
	return nil
}

// TokenList checks the tokens of a repeatable token flag such as
// --read-token. Given on the command line (fromFlags), each flag is one
// token; taken from the environment variable env, the one value is split
// on commas. Either way an empty token is refused, so that a typo or an
// unset variable cannot start a server open to all.
func TokenList(tokens []string, fromFlags bool, flag, env string) ([]string, error) {
	if !fromFlags {
		var split []string
		for _, t := range tokens {
			split = append(split, strings.Split(t, ",")...)
		}
		tokens = split
	}
	for _, t := range tokens {
		if strings.TrimSpace(t) == "" {
			if fromFlags {
				return nil, fmt.Errorf("%s: empty token: a server with an empty token would let anyone in; give a token, or leave the flag out to run the server open", flag)
			}
			return nil, fmt.Errorf("%s: empty token (the variable is empty or has an empty comma-separated entry): a server with an empty token would let anyone in; set tokens, or unset the variable to run the server open", env)
		}
		if t != strings.TrimSpace(t) {
			return nil, fmt.Errorf("%s: token %q begins or ends with blanks, which a client's Authorization header cannot carry", flag, t)
		}
	}
	return tokens, nil
}
