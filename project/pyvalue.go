package project

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/berthml/berth/internal/pyvalue"
)

// MLflow reads MLproject with PyYAML (YAML 1.1) and turns a parameter's
// default into the command's text with Python's str(). pyStr does the same
// for a scalar node: a quoted scalar is its text; a plain one is resolved
// with PyYAML's rules (null, bool, int, float, else string) and written as
// Python writes that value.

var (
	pyNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	pyBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	pyInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	pyFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
)

// pyStr returns str() of the value PyYAML reads from the scalar node n, and
// false when PyYAML reads null (MLflow: no default).
func pyStr(n *yaml.Node) (string, bool) {
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Value, true
	}
	switch n.Tag {
	case "!!str":
		if n.Style&yaml.TaggedStyle != 0 {
			return n.Value, true
		}
	case "!!binary", "!!timestamp":
		return n.Value, true
	}
	return pyResolve(n.Value)
}

// pyResolve is pyStr for a plain scalar's text.
func pyResolve(v string) (string, bool) {
	switch {
	case pyNull.MatchString(v):
		return "", false
	case pyBool.MatchString(v):
		switch v[0] {
		case 'y', 'Y', 't', 'T':
			return "True", true
		case 'o', 'O':
			if strings.EqualFold(v, "on") {
				return "True", true
			}
		}
		return "False", true
	case pyInt.MatchString(v):
		if s, ok := yaml11Int(v); ok {
			return s, true
		}
	case pyFloat.MatchString(v):
		return pyvalue.FloatRepr(yaml11Float(v)), true
	}
	return v, true
}

// yaml11Int is PyYAML's construct_yaml_int, written in decimal.
func yaml11Int(v string) (string, bool) {
	v = strings.ReplaceAll(v, "_", "")
	neg := false
	if v != "" && (v[0] == '-' || v[0] == '+') {
		neg = v[0] == '-'
		v = v[1:]
	}
	n := new(big.Int)
	ok := true
	switch {
	case v == "0":
	case strings.HasPrefix(v, "0b"):
		_, ok = n.SetString(v[2:], 2)
	case strings.HasPrefix(v, "0x"):
		_, ok = n.SetString(v[2:], 16)
	case strings.HasPrefix(v, "0"):
		_, ok = n.SetString(v[1:], 8)
	case strings.Contains(v, ":"):
		base := big.NewInt(1)
		for _, p := range reverse(strings.Split(v, ":")) {
			d, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return "", false
			}
			n.Add(n, new(big.Int).Mul(big.NewInt(d), base))
			base.Mul(base, big.NewInt(60))
		}
	default:
		_, ok = n.SetString(v, 10)
	}
	if !ok {
		return "", false
	}
	if neg {
		n.Neg(n)
	}
	return n.String(), true
}

// yaml11Float is PyYAML's construct_yaml_float.
func yaml11Float(v string) float64 {
	v = strings.ToLower(strings.ReplaceAll(v, "_", ""))
	sign := 1.0
	if v != "" && (v[0] == '-' || v[0] == '+') {
		if v[0] == '-' {
			sign = -1
		}
		v = v[1:]
	}
	switch {
	case v == ".inf":
		return sign * math.Inf(1)
	case v == ".nan":
		return math.NaN()
	case strings.Contains(v, ":"):
		var f float64
		base := 1.0
		for _, p := range reverse(strings.Split(v, ":")) {
			d, _ := strconv.ParseFloat(p, 64)
			f += d * base
			base *= 60
		}
		return sign * f
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil && f == 0 {
		return math.NaN()
	}
	return sign * f
}

func reverse(s []string) []string {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	return s
}

// Quote is Python's shlex.quote, which MLflow applies to every parameter
// value it puts into a command (and logs): a string of only
// [A-Za-z0-9_@%+=:,./-] stays as it is, the empty string becomes a pair of
// single quotes, anything else is single-quoted with each ' written '"'"'.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_@%+=:,./-", c) >= 0) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
