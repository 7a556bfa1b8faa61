// Package prompt holds MLflow's prompt templates and the promptlab model
// directory: parsing and rendering "{{ variable }}" templates with MLflow's
// rules, and writing and reading the model directory that MLflow's prompt
// engineering UI saves with each run (create-promptlab-run).
package prompt

import (
	"errors"
	"fmt"
	"strings"
)

// ErrTemplate is wrapped by every error about a template's syntax or its
// variables.
var ErrTemplate = errors.New("bad prompt template")

// TemplateError says what is wrong with a template and where: Offset is the
// byte offset of the fault in the template text (-1 when it is about the
// template as a whole, such as a missing variable).
type TemplateError struct {
	Offset int
	Msg    string
}

func (e *TemplateError) Error() string {
	if e.Offset < 0 {
		return e.Msg
	}
	return fmt.Sprintf("%s (at byte %d)", e.Msg, e.Offset)
}

// Unwrap makes errors.Is(err, ErrTemplate) true.
func (e *TemplateError) Unwrap() error { return ErrTemplate }

// part is a piece of a parsed template: literal text, or a variable when
// name is set.
type part struct {
	text string
	name string
}

// Template is a parsed prompt template. The syntax is MLflow's: a variable
// is "{{", optional spaces, a name of letters, digits and underscores
// (Python's \w, ASCII here), optional spaces, "}}"; everything else is
// text. Stricter than MLflow, which leaves a malformed "{{ ... }}" in the
// prompt as text, Parse refuses a "{{" without its "}}", a "}}" without its
// "{{", and a "{{ }}" that holds no name or more than one word, because
// they are almost always typing mistakes; single braces ("{" and "}", as in
// JSON) are text.
type Template struct {
	src   string
	parts []part
	vars  []string
}

// maxTemplateBytes bounds a template; MLflow keeps a template in a run
// param, which holds at most 6000 characters, and in a prompt version's
// tag (at most 100,000 characters with the registry's tag limit).
const maxTemplateBytes = 1 << 20

// Parse parses src. The error, if any, wraps a *TemplateError.
func Parse(src string) (*Template, error) {
	if len(src) > maxTemplateBytes {
		return nil, &TemplateError{-1, fmt.Sprintf("the template is %d bytes long, more than the %d allowed", len(src), maxTemplateBytes)}
	}
	t := &Template{src: src}
	seen := map[string]bool{}
	var text strings.Builder
	i := 0
	for i < len(src) {
		open := strings.Index(src[i:], "{{")
		close := strings.Index(src[i:], "}}")
		if close >= 0 && (open < 0 || close < open) {
			return nil, &TemplateError{i + close, `"}}" without an opening "{{"`}
		}
		if open < 0 {
			text.WriteString(src[i:])
			break
		}
		start := i + open
		text.WriteString(src[i:start])
		end := strings.Index(src[start+2:], "}}")
		if end < 0 {
			return nil, &TemplateError{start, `"{{" without a closing "}}"`}
		}
		inner := src[start+2 : start+2+end]
		if j := strings.Index(inner, "{{"); j >= 0 {
			return nil, &TemplateError{start, `"{{" without a closing "}}" before the next "{{"`}
		}
		name := strings.Trim(inner, " \t\r\n")
		if name == "" {
			return nil, &TemplateError{start, `"{{ }}" holds no variable name`}
		}
		if !isName(name) {
			return nil, &TemplateError{start, fmt.Sprintf("%q is not a variable name: use letters, digits and underscores", name)}
		}
		if text.Len() > 0 {
			t.parts = append(t.parts, part{text: text.String()})
			text.Reset()
		}
		t.parts = append(t.parts, part{name: name})
		if !seen[name] {
			seen[name] = true
			t.vars = append(t.vars, name)
		}
		i = start + 2 + end + 2
	}
	if text.Len() > 0 {
		t.parts = append(t.parts, part{text: text.String()})
	}
	return t, nil
}

// isName reports whether s is a variable name: Python's \w+ on ASCII.
func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

// String returns the template's text as given to Parse.
func (t *Template) String() string { return t.src }

// Variables returns the template's variable names in the order of their
// first use, each once.
func (t *Template) Variables() []string { return append([]string(nil), t.vars...) }

// Check reports the template's variables that are not among known, the
// variables a caller can supply; the error names them all.
func (t *Template) Check(known []string) error {
	k := make(map[string]bool, len(known))
	for _, n := range known {
		k[n] = true
	}
	var unknown []string
	for _, v := range t.vars {
		if !k[v] {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) > 0 {
		return &TemplateError{-1, fmt.Sprintf("the template uses unknown variable(s) %s; known: %s", quoteList(unknown), quoteList(known))}
	}
	return nil
}

// Render fills the template's variables from values. A variable without a
// value is an error naming it; values that the template does not use are
// ignored (MLflow's promptlab model substitutes only what it is given, and
// a saved run may list parameters the template never uses). Values are
// inserted as they are: a value holding "{{ x }}" is not expanded again.
func (t *Template) Render(values map[string]string) (string, error) {
	var missing []string
	for _, v := range t.vars {
		if _, ok := values[v]; !ok {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		return "", &TemplateError{-1, "no value for template variable(s) " + quoteList(missing)}
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.name != "" {
			b.WriteString(values[p.name])
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String(), nil
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
