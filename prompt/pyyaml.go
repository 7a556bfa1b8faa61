package prompt

import (
	"fmt"
	"regexp"
	"strings"
)

// This file writes YAML byte for byte as PyYAML's yaml.safe_dump does with
// default_flow_style=False (MLflow writes parameters.yaml, MLmodel,
// conda.yaml and python_env.yaml that way): block mappings and indentless
// sequences, "{}" for an empty mapping, and each string in the style
// PyYAML picks — plain, single-quoted or double-quoted, folded at 80
// columns. Only what these files hold is supported: strings, nil, ordered
// mappings and sequences of those.

// kv is one entry of an ordered YAML mapping.
type kv struct {
	k string
	v any // string, nil, []kv, []any
}

const bestWidth = 80

type yamlEmitter struct {
	b          strings.Builder
	column     int
	whitespace bool
	indention  bool
}

func dumpYAML(doc []kv) string {
	e := &yamlEmitter{whitespace: true, indention: true}
	e.mapping(doc, 0, true)
	return e.b.String()
}

func (e *yamlEmitter) write(s string) {
	e.b.WriteString(s)
	e.column += runeLen(s)
}

func runeLen(s string) int { return len([]rune(s)) }

func (e *yamlEmitter) lineBreak() {
	e.b.WriteByte('\n')
	e.whitespace, e.indention, e.column = true, true, 0
}

func (e *yamlEmitter) writeIndent(indent int) {
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.lineBreak()
	}
	if e.column < indent {
		e.whitespace = true
		e.b.WriteString(strings.Repeat(" ", indent-e.column))
		e.column = indent
	}
}

func (e *yamlEmitter) indicator(ind string, needWhitespace, whitespace, indention bool) {
	if !e.whitespace && needWhitespace {
		ind = " " + ind
	}
	e.whitespace = whitespace
	e.indention = e.indention && indention
	e.write(ind)
}

// mapping writes a block mapping whose keys stand at indent.
func (e *yamlEmitter) mapping(m []kv, indent int, root bool) {
	if len(m) == 0 {
		e.indicator("{", true, true, false)
		e.indicator("}", false, false, false)
		return
	}
	for _, p := range m {
		e.key(p.k, indent)
		e.value(p.v, indent, true)
	}
	if root {
		e.lineBreak()
	}
}

// key writes a mapping key at indent and its ":": a simple key when it is
// one line shorter than 128 characters, else PyYAML's "? key" form.
func (e *yamlEmitter) key(k string, indent int) {
	e.writeIndent(indent)
	if runeLen(k) < 128 && !analyze(k).multiline {
		e.scalar(k, indent, true)
		e.indicator(":", false, false, false)
		return
	}
	e.indicator("?", true, false, true)
	e.scalar(k, indent+2, false)
	e.writeIndent(indent)
	e.indicator(":", true, false, true)
}

// value writes a mapping's value (inMapping) or a sequence item.
func (e *yamlEmitter) value(v any, indent int, inMapping bool) {
	switch x := v.(type) {
	case nil:
		e.plainValue("null", indent)
	case string:
		e.scalar(x, indent+2, false)
	case []kv:
		e.mapping(x, indent+2, false)
	case []any:
		if len(x) == 0 {
			e.indicator("[", true, true, false)
			e.indicator("]", false, false, false)
			return
		}
		// PyYAML writes a sequence in a mapping without indenting it.
		seqIndent := indent
		if !inMapping {
			seqIndent = indent + 2
		}
		for _, it := range x {
			e.writeIndent(seqIndent)
			e.indicator("-", true, false, true)
			switch y := it.(type) {
			case []kv:
				// The mapping's first key follows "- " on the same line.
				for _, p := range y {
					e.key(p.k, seqIndent+2)
					e.value(p.v, seqIndent+2, true)
				}
			default:
				e.value(it, seqIndent, false)
			}
		}
	default:
		panic(fmt.Sprintf("prompt: no YAML for %T", v))
	}
}

func (e *yamlEmitter) plainValue(s string, _ int) {
	if !e.whitespace {
		e.write(" ")
	}
	e.write(s)
	e.whitespace, e.indention = false, false
}

// scalar writes a string scalar in PyYAML's style; indent is where its
// continuation lines start. A key is never folded.
func (e *yamlEmitter) scalar(s string, indent int, key bool) {
	a := analyze(s)
	split := !key
	switch {
	case resolvesAsString(s) && !(key && (a.empty || a.multiline)) && a.allowBlockPlain:
		e.plain(s, indent, split)
	case a.allowSingleQuoted && !(key && a.multiline):
		e.singleQuoted(s, indent, split)
	default:
		e.doubleQuoted(s, indent, split)
	}
}

type analysis struct {
	empty, multiline                   bool
	allowBlockPlain, allowSingleQuoted bool
}

func isBreak(r rune) bool { return r == '\n' || r == '\x85' || r == '\u2028' || r == '\u2029' }

func isWS(r rune) bool { return r == 0 || r == ' ' || r == '\t' || r == '\r' || isBreak(r) }

// analyze is PyYAML's Emitter.analyze_scalar, with allow_unicode off.
func analyze(s string) analysis {
	if s == "" {
		return analysis{empty: true, allowBlockPlain: true, allowSingleQuoted: true}
	}
	rs := []rune(s)
	var blockInd, lineBreaks, special, leadSpace, leadBreak, trailSpace, trailBreak, breakSpace, spaceBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockInd = true
	}
	preceded := true
	followed := len(rs) == 1 || isWS(rs[1])
	prevSpace, prevBreak := false, false
	for i, ch := range rs {
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", ch) {
				blockInd = true
			}
			if (ch == '?' || ch == ':') && followed {
				blockInd = true
			}
			if ch == '-' && followed {
				blockInd = true
			}
		} else {
			if ch == ':' && followed {
				blockInd = true
			}
			if ch == '#' && preceded {
				blockInd = true
			}
		}
		if isBreak(ch) {
			lineBreaks = true
		}
		if !(ch == '\n' || ch >= 0x20 && ch <= 0x7E) {
			special = true // non-ASCII too: safe_dump's allow_unicode is off
		}
		switch {
		case ch == ' ':
			if i == 0 {
				leadSpace = true
			}
			if i == len(rs)-1 {
				trailSpace = true
			}
			if prevBreak {
				breakSpace = true
			}
			prevSpace, prevBreak = true, false
		case isBreak(ch):
			if i == 0 {
				leadBreak = true
			}
			if i == len(rs)-1 {
				trailBreak = true
			}
			if prevSpace {
				spaceBreak = true
			}
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		preceded = isWS(ch)
		followed = i+2 >= len(rs) || isWS(rs[i+2])
	}
	a := analysis{multiline: lineBreaks, allowBlockPlain: true, allowSingleQuoted: true}
	if leadSpace || leadBreak || trailSpace || trailBreak {
		a.allowBlockPlain = false
	}
	if breakSpace {
		a.allowBlockPlain, a.allowSingleQuoted = false, false
	}
	if spaceBreak || special {
		a.allowBlockPlain, a.allowSingleQuoted = false, false
	}
	if lineBreaks || blockInd {
		a.allowBlockPlain = false
	}
	return a
}

// PyYAML's implicit resolvers (yaml/resolver.py), which a plain scalar
// must not match to stay a string. Python's "$" also matches before a
// final newline.
var implicitResolvers = []struct {
	first string
	re    *regexp.Regexp
}{
	{"yYnNtTfFoO", regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\n?$`)},
	{"-+0123456789.", regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\n?$`)},
	{"-+0123456789", regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\n?$`)},
	{"<", regexp.MustCompile(`^(?:<<)\n?$`)},
	{"~nN", regexp.MustCompile(`^(?:~|null|Null|NULL|)\n?$`)},
	{"0123456789", regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)\n?$`)},
	{"=", regexp.MustCompile(`^(?:=)\n?$`)},
}

// resolvesAsString reports whether PyYAML reads s, written plain, back as
// a string.
func resolvesAsString(s string) bool {
	if s == "" {
		return false // the null resolver matches ""
	}
	for _, r := range implicitResolvers {
		if strings.IndexByte(r.first, s[0]) >= 0 && r.re.MatchString(s) {
			return false
		}
	}
	return true
}

func (e *yamlEmitter) plain(s string, indent int, split bool) {
	if s == "" {
		return
	}
	if !e.whitespace {
		e.write(" ")
	}
	e.whitespace, e.indention = false, false
	rs := []rune(s)
	spaces := false
	start := 0
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		if spaces {
			if ch != ' ' {
				if start+1 == end && e.column > bestWidth && split {
					e.writeIndent(indent)
					e.whitespace, e.indention = false, false
				} else {
					e.write(string(rs[start:end]))
				}
				start = end
			}
		} else if ch == -1 || ch == ' ' || isBreak(ch) {
			e.write(string(rs[start:end]))
			start = end
		}
		if ch != -1 {
			spaces = ch == ' '
		}
	}
}

func (e *yamlEmitter) singleQuoted(s string, indent int, split bool) {
	e.indicator("'", true, false, false)
	rs := []rune(s)
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		switch {
		case spaces:
			if ch == -1 || ch != ' ' {
				if start+1 == end && e.column > bestWidth && split && start != 0 && end != len(rs) {
					e.writeIndent(indent)
				} else {
					e.write(string(rs[start:end]))
				}
				start = end
			}
		case breaks:
			if ch == -1 || !isBreak(ch) {
				if rs[start] == '\n' {
					e.lineBreak()
				}
				for _, br := range rs[start:end] {
					if br == '\n' {
						e.lineBreak()
					} else {
						e.b.WriteRune(br)
						e.whitespace, e.indention, e.column = true, true, 0
					}
				}
				e.writeIndent(indent)
				start = end
			}
		default:
			if ch == -1 || ch == ' ' || isBreak(ch) || ch == '\'' {
				if start < end {
					e.write(string(rs[start:end]))
					start = end
				}
			}
		}
		if ch == '\'' {
			e.write("''")
			start = end + 1
		}
		if ch != -1 {
			spaces = ch == ' '
			breaks = isBreak(ch)
		}
	}
	e.indicator("'", false, false, false)
}

var yamlEscapes = map[rune]string{
	0: "0", '\a': "a", '\b': "b", '\t': "t", '\n': "n", '\v': "v", '\f': "f", '\r': "r", 0x1B: "e",
	'"': "\"", '\\': "\\", 0x85: "N", 0xA0: "_", 0x2028: "L", 0x2029: "P",
}

func (e *yamlEmitter) doubleQuoted(s string, indent int, split bool) {
	e.indicator("\"", true, false, false)
	rs := []rune(s)
	start := 0
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		if ch == -1 || ch == '"' || ch == '\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 || ch == 0xFEFF || !(ch >= 0x20 && ch <= 0x7E) {
			if start < end {
				e.write(string(rs[start:end]))
				start = end
			}
			if ch != -1 {
				var data string
				if r, ok := yamlEscapes[ch]; ok {
					data = "\\" + r
				} else if ch <= 0xFF {
					data = fmt.Sprintf("\\x%02X", ch)
				} else if ch <= 0xFFFF {
					data = fmt.Sprintf("\\u%04X", ch)
				} else {
					data = fmt.Sprintf("\\U%08X", ch)
				}
				e.write(data)
				start = end + 1
			}
		}
		if end > 0 && end < len(rs)-1 && (ch == ' ' || start >= end) && e.column+(end-start) > bestWidth && split {
			data := "\\" // Python's text[start:end] is "" when start > end
			if start < end {
				data = string(rs[start:end]) + "\\"
				start = end
			}
			e.write(data)
			e.writeIndent(indent)
			e.whitespace, e.indention = false, false
			if rs[start] == ' ' {
				e.write("\\")
			}
		}
	}
	e.indicator("\"", false, false, false)
}
