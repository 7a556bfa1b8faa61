package flavors

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// pyEmitter writes YAML byte for byte as PyYAML's
// yaml.safe_dump(data, default_flow_style=False, sort_keys=True) does, which
// is how MLflow writes MLmodel files: block style, keys sorted, 2-space
// indent, sequences under a mapping key not indented, long scalars folded
// at column 80, non-ASCII text double-quoted with escapes. It is a port of
// the parts of PyYAML's emitter.py that safe_dump reaches; the field names
// follow it.
type pyEmitter struct {
	buf        bytes.Buffer
	indent     int // -1 for PyYAML's None
	indents    []int
	column     int
	whitespace bool
	indention  bool
}

const (
	pyBestWidth  = 80
	pyBestIndent = 2
)

// pyDump writes v, a mapping, as one YAML document.
func pyDump(v any) ([]byte, error) {
	e := &pyEmitter{indent: -1, whitespace: true, indention: true}
	if err := e.node(reflect.ValueOf(v), false, false, ""); err != nil {
		return nil, err
	}
	e.writeIndent() // expect_document_end
	return e.buf.Bytes(), nil
}

// node is PyYAML's expect_node for one value; path names it in errors.
func (e *pyEmitter) node(v reflect.Value, mapping, simpleKey bool, path string) error {
	for v.IsValid() && (v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer) {
		if v.IsNil() {
			v = reflect.Value{}
			break
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		e.scalar("null", true, simpleKey)
		return nil
	}
	switch v.Kind() {
	case reflect.Bool:
		e.scalar(strconv.FormatBool(v.Bool()), true, simpleKey)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.scalar(strconv.FormatInt(v.Int(), 10), true, simpleKey)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.scalar(strconv.FormatUint(v.Uint(), 10), true, simpleKey)
	case reflect.Float32, reflect.Float64:
		e.scalar(pyYAMLFloat(v.Float(), v.Type().Bits()), true, simpleKey)
	case reflect.String:
		s := v.String()
		if !utf8.ValidString(s) {
			return fmt.Errorf("%s: string %q is not valid UTF-8", pathOr(path), s)
		}
		e.scalar(s, plainIsString(s), simpleKey)
	case reflect.Map:
		if v.IsNil() {
			e.scalar("null", true, simpleKey)
			return nil
		}
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("%s: map keys are %s, want strings", pathOr(path), v.Type().Key())
		}
		return e.mapping(v, path)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			e.scalar("null", true, simpleKey)
			return nil
		}
		return e.sequence(v, mapping, path)
	default:
		return fmt.Errorf("%s: cannot write a %s as YAML", pathOr(path), v.Type())
	}
	return nil
}

// mapping writes a block mapping with sorted keys, or {} when empty.
func (e *pyEmitter) mapping(v reflect.Value, path string) error {
	if v.Len() == 0 {
		e.writeIndicator("{", true, true, false)
		e.writeIndicator("}", false, false, false)
		return nil
	}
	keys := make([]string, 0, v.Len())
	vals := make(map[string]reflect.Value, v.Len())
	for it := v.MapRange(); it.Next(); {
		k := it.Key().String()
		keys = append(keys, k)
		vals[k] = it.Value()
	}
	slices.Sort(keys)
	e.increaseIndent(false, false)
	for _, k := range keys {
		sub := joinPath(path, k)
		if !utf8.ValidString(k) {
			return fmt.Errorf("%s: key %q is not valid UTF-8", pathOr(path), k)
		}
		e.writeIndent()
		if n := utf8.RuneCountInString(k); n+len("!!str") < 128 && n > 0 && !strings.ContainsAny(k, "\n\u0085\u2028\u2029") {
			e.scalar(k, plainIsString(k), true)
			e.writeIndicator(":", false, false, false)
		} else {
			e.writeIndicator("?", true, false, true)
			e.scalar(k, plainIsString(k), false)
			e.writeIndent()
			e.writeIndicator(":", true, false, true)
		}
		if err := e.node(vals[k], true, false, sub); err != nil {
			return err
		}
	}
	e.popIndent()
	return nil
}

// sequence writes a block sequence, or [] when empty. Under a mapping key
// it is not indented, as PyYAML writes it.
func (e *pyEmitter) sequence(v reflect.Value, mapping bool, path string) error {
	if v.Len() == 0 {
		e.writeIndicator("[", true, true, false)
		e.writeIndicator("]", false, false, false)
		return nil
	}
	e.increaseIndent(false, mapping && !e.indention)
	for i := range v.Len() {
		e.writeIndent()
		e.writeIndicator("-", true, false, true)
		if err := e.node(v.Index(i), false, false, fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	e.popIndent()
	return nil
}

func (e *pyEmitter) increaseIndent(flow, indentless bool) {
	e.indents = append(e.indents, e.indent)
	switch {
	case e.indent < 0 && flow:
		e.indent = pyBestIndent
	case e.indent < 0:
		e.indent = 0
	case !indentless:
		e.indent += pyBestIndent
	}
}

func (e *pyEmitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

func (e *pyEmitter) write(s string) {
	e.column += utf8.RuneCountInString(s)
	e.buf.WriteString(s)
}

func (e *pyEmitter) writeIndicator(ind string, needWhitespace, whitespace, indention bool) {
	if !e.whitespace && needWhitespace {
		ind = " " + ind
	}
	e.whitespace = whitespace
	e.indention = e.indention && indention
	e.write(ind)
}

func (e *pyEmitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.writeLineBreak()
	}
	if e.column < indent {
		e.whitespace = true
		e.write(strings.Repeat(" ", indent-e.column))
	}
}

func (e *pyEmitter) writeLineBreak() {
	e.whitespace = true
	e.indention = true
	e.column = 0
	e.buf.WriteByte('\n')
}

// pyYAMLFloat formats f as PyYAML's represent_float does.
func pyYAMLFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := pyFloatRepr(f, bits)
	if !strings.Contains(s, ".") && strings.Contains(s, "e") {
		s = strings.Replace(s, "e", ".0e", 1)
	}
	return s
}

// pyFloatRepr formats a finite f as Python's repr(float) does: the shortest
// digits that read back, in positional notation for exponents from -4 to 15
// (with at least one decimal), else as 1.5e-07 or 1e+16.
func pyFloatRepr(f float64, bits int) string {
	e := strconv.FormatFloat(f, 'e', -1, bits)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, bits)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func pathOr(path string) string {
	if path == "" {
		return "document"
	}
	return path
}
