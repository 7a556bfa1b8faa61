package judge

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/berthml/berth/internal/pyvalue"
)

// Verdict is the judge's answer for one row as MLflow keeps it: the score
// (nil where MLflow has None) and the justification (nil where None).
type Verdict struct {
	Score         *float64
	Justification *string
}

// failedExtract and failedScore begin the justifications MLflow writes
// when it cannot read an answer, or when reading or asking raised.
const (
	failedExtract = "Failed to extract score and justification. Raw output: "
	failedScore   = "Failed to score model on payload. Error: "
)

// Python's re with str patterns: \d is any Unicode decimal digit, \s any
// Unicode whitespace, . anything but \n.
const (
	pyDigit = `\p{Nd}`
	pySpace = `[\t\n\v\f\r \x1c-\x1f\x85\p{Z}]`
)

// parseExprs are Parse's expressions, compiled on first use: with their
// Unicode classes they took 3 ms of every berth start-up as package
// variables, which only evaluations use.
var parseExprs = sync.OnceValue(func() (e struct{ scoreWord, justificationWord, oneLine, multiLine *regexp.Regexp }) {
	e.scoreWord = regexp.MustCompile(`(?i)score`)
	// Python's IGNORECASE also matches i to the dotless ı and to İ (whose
	// simple lowercase is i); Go's case folding does not.
	e.justificationWord = regexp.MustCompile(`(?i)just[iıİ]f[iıİ]cat[iıİ]on`)
	// The two expressions of _extract_score_and_justification, in order.
	e.oneLine = regexp.MustCompile(`score: (` + pyDigit + `+),?` + pySpace + `*justification: (.+)`)
	e.multiLine = regexp.MustCompile(`(?s)` + pySpace + `*score:` + pySpace + `*(` + pyDigit + `+)` + pySpace + `*justification:` + pySpace + `*(.+)`)
	return e
})

// Parse reads a judge's answer as MLflow 2.17's
// _extract_score_and_justification does, with the exceptions it raises
// turned into the justification _score_model_on_one_payload writes:
//
//   - an empty answer is (None, None);
//   - "score" and "justification" are lowercased wherever they appear, in
//     any case;
//   - a JSON object gives int(obj["score"]) and obj["justification"] (which
//     must be a string, else the raw-output justification);
//   - otherwise "score: N, justification: TEXT" on one line, or
//     "score: N … justification: TEXT…" across lines;
//   - otherwise the score is None and the justification is
//     "Failed to extract score and justification. Raw output: " and the
//     (lowercased) answer.
func Parse(text string) Verdict {
	if text == "" {
		return Verdict{}
	}
	re := parseExprs()
	text = re.scoreWord.ReplaceAllLiteralString(text, "score")
	text = re.justificationWord.ReplaceAllLiteralString(text, "justification")
	raw := failedExtract + text
	if v, isJSON, err := parseJSON(text); isJSON {
		if err != nil {
			return failed(failedScore + err.Error())
		}
		if v.Justification == nil {
			return failed(raw)
		}
		return v
	}
	m := re.oneLine.FindStringSubmatch(text)
	if m == nil {
		m = re.multiLine.FindStringSubmatch(text)
	}
	if m == nil {
		return failed(raw)
	}
	s := digits(m[1])
	return Verdict{Score: &s, Justification: &m[2]}
}

func failed(j string) Verdict { return Verdict{Justification: &j} }

// parseJSON is the JSON branch: isJSON is false when Python's json.loads
// would raise JSONDecodeError (the regular expressions are tried next);
// err is the exception (AttributeError, TypeError, ValueError) raised
// after a successful decode, in Python's words.
func parseJSON(text string) (v Verdict, isJSON bool, err error) {
	val, ok := pyJSON(text)
	if !ok {
		return Verdict{}, false, nil
	}
	obj, isObj := val.(map[string]any)
	if !isObj {
		return Verdict{}, true, fmt.Errorf("'%s' object has no attribute 'get'", pyType(val))
	}
	score, err := pyInt(obj["score"])
	if err != nil {
		return Verdict{}, true, err
	}
	v.Score = &score
	if j, ok := obj["justification"].(string); ok {
		v.Justification = &j
	}
	return v, true, nil
}

// pyJSON decodes text as Python's json.loads does, as far as it matters
// here: numbers as json.Number, and the NaN, Infinity and -Infinity
// Python accepts as values (as float64).
func pyJSON(text string) (any, bool) {
	marked := markSpecials(text)
	dec := json.NewDecoder(strings.NewReader(marked))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if strings.Trim(marked[dec.InputOffset():], " \t\n\r") != "" {
		return nil, false // Python: "Extra data"
	}
	return unmarkSpecials(v), true
}

// The number literals NaN, Infinity and -Infinity stand for while Go's
// decoder reads the text; an answer that holds them is read without the
// stand-ins.
var specials = []struct {
	py, mark string
	v        float64
}{
	{"-Infinity", "-1e-99999999999999999991", math.Inf(-1)},
	{"Infinity", "1e-99999999999999999991", math.Inf(1)},
	{"NaN", "1e-99999999999999999990", math.NaN()},
}

// markSpecials replaces NaN, Infinity and -Infinity where a JSON value
// begins (outside strings, after [ , : or at the start).
func markSpecials(text string) string {
	if !strings.ContainsAny(text, "NI") || strings.Contains(text, "e-9999999999999999999") {
		return text
	}
	var b strings.Builder
	inString, escaped, valueStart := false, false, true
	for i := 0; i < len(text); i++ {
		c := text[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			b.WriteByte(c)
			continue
		}
		if valueStart {
			replaced := false
			for _, sp := range specials {
				if strings.HasPrefix(text[i:], sp.py) {
					b.WriteString(sp.mark + " ") // "NaN5" must stay two tokens
					i += len(sp.py) - 1
					replaced = true
					break
				}
			}
			if replaced {
				valueStart = false
				continue
			}
		}
		switch c {
		case '"':
			inString = true
			valueStart = false
		case '[', ',', ':':
			valueStart = true
		case ' ', '\t', '\n', '\r':
		default:
			valueStart = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

func unmarkSpecials(v any) any {
	switch x := v.(type) {
	case json.Number:
		for _, sp := range specials {
			if string(x) == sp.mark {
				return sp.v
			}
		}
	case []any:
		for i := range x {
			x[i] = unmarkSpecials(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = unmarkSpecials(x[k])
		}
	}
	return v
}

func pyType(v any) string {
	switch v := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case json.Number:
		if _, err := v.Int64(); err == nil || !strings.ContainsAny(string(v), ".eE") {
			return "int"
		}
	}
	return "float"
}

// pyInt is Python's int(x) for a decoded JSON value.
func pyInt(x any) (float64, error) {
	switch x := x.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float64: // NaN, ±Infinity
		if math.IsNaN(x) {
			return 0, fmt.Errorf("cannot convert float NaN to integer")
		}
		return 0, fmt.Errorf("cannot convert float infinity to integer")
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			f, _ := new(big.Float).SetString(string(x))
			v, _ := f.Float64()
			return v, nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) { // Python reads 1e400 as inf
			return 0, fmt.Errorf("cannot convert float infinity to integer")
		}
		return math.Trunc(f), nil
	case string:
		if s, ok := pyIntString(x); ok {
			return s, nil
		}
		return 0, fmt.Errorf("invalid literal for int() with base 10: %s", pyvalue.StrRepr(x))
	}
	return 0, fmt.Errorf("int() argument must be a string, a bytes-like object or a real number, not '%s'", pyType(x))
}

// pyIntString is int(str): surrounding whitespace, a sign, Unicode decimal
// digits with single underscores between them.
func pyIntString(s string) (float64, bool) {
	s = strings.TrimFunc(s, isPySpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	s = strings.ReplaceAll(s, "_", "")
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return 0, false
		}
	}
	v := digits(s)
	if neg {
		v = -v
	}
	return v, true
}

func isPySpace(r rune) bool {
	return r == '\v' || (r >= 0x1c && r <= 0x1f) || r == 0x85 || unicode.IsSpace(r) || unicode.In(r, unicode.Z)
}

// digits is the value of a run of Unicode decimal digits (Python's int()
// of them). Every script's digits are a run of ten code points from 0 to 9.
func digits(s string) float64 {
	n := new(big.Int)
	ten := big.NewInt(10)
	for _, r := range s {
		zero := r
		for unicode.IsDigit(zero - 1) {
			zero--
		}
		n.Mul(n, ten).Add(n, big.NewInt(int64((r-zero)%10)))
	}
	f, _ := new(big.Float).SetInt(n).Float64()
	return f
}
