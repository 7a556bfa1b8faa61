// Package pyvalue writes values as CPython writes them, for the places
// where berth must produce the same bytes as MLflow's Python code: repr()
// and str() of floats, strings, lists and dicts, and json.dumps with its
// default separators (", " and ": ", or "," with an indent) and either
// ensure_ascii setting.
//
// The generic value model is what json.loads yields, with dict keys in
// order: nil (None), bool, string, json.Number, float64, float32 (a
// numpy.float32, written as numpy writes it), int, []any,
// []string, and a Mapping (Dict, or a caller's own ordered type).
// Decode reads JSON text into that model.
package pyvalue

import (
	"math"
	"strconv"
	"strings"
)

// FloatRepr is Python's repr (and str) of a float: the shortest digits that
// read back as f, in fixed notation for decimal exponents from -4 to 15 and
// in exponent form ("1e-05", "1e+16") outside them; "nan", "inf", "-inf".
func FloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return finiteRepr(f, 64)
}

// Float32Repr is repr (and str) of a numpy.float32, as MLflow writes one
// (a float32 parameter default, a float32 in an MLmodel file): the
// shortest digits that read back as the float32 f, laid out as FloatRepr
// lays them out ("0.1", not the float64 "0.10000000149011612"); "nan",
// "inf", "-inf".
func Float32Repr(f float32) string {
	switch g := float64(f); {
	case math.IsNaN(g):
		return "nan"
	case math.IsInf(g, 1):
		return "inf"
	case math.IsInf(g, -1):
		return "-inf"
	}
	return finiteRepr(float64(f), 32)
}

// FloatJSON is a float as Python's json.dumps writes it: its repr, with
// the non-finite values spelt "NaN", "Infinity" and "-Infinity".
func FloatJSON(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return finiteRepr(f, 64)
}

// finiteRepr lays out the shortest digits that read back as f at bitSize
// (64, or 32 for a float32) as Python's float repr does.
func finiteRepr(f float64, bitSize int) string {
	// The shortest digits that read back as f, and the decimal exponent.
	e := strconv.FormatFloat(f, 'e', -1, bitSize) // "-1.2345e+06"
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	sign := ""
	if strings.HasPrefix(mant, "-") {
		sign, mant = "-", mant[1:]
	}
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		out := digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		if exp < 10 {
			es += "0"
		}
		return sign + out + "e" + es + strconv.Itoa(exp)
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}
