package drift

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/jsonl"
)

// MaxFieldBytes is the longest CSV field or JSONL line the readers accept.
const MaxFieldBytes = 1 << 20

// MissingColumnsError says which columns a data file lacks.
type MissingColumnsError struct {
	Columns []string
}

func (e *MissingColumnsError) Error() string {
	return "data has no column " + strings.Join(quoteAll(e.Columns), ", ")
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// ParseError locates a malformed value in a data file.
type ParseError struct {
	Line   int    // 1-based; the CSV header is line 1
	Column string // empty when the whole line is at fault
	Msg    string
}

func (e *ParseError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d, column %q: %s", e.Line, e.Column, e.Msg)
}

// FromCSV profiles CSV data with a header row. Columns not in cols are
// ignored; cols missing from the header are a [*MissingColumnsError].
// Empty fields and NaN are nulls.
func FromCSV(r io.Reader, cols []Column, opts ...Option) (*Profile, error) {
	b := NewBuilder(cols, opts...)
	if err := ReadCSV(r, b); err != nil {
		return nil, err
	}
	return b.Profile()
}

// FromJSONL profiles JSON Lines data: one object per line, keyed by
// column name. Missing keys and nulls are nulls; other keys are ignored.
func FromJSONL(r io.Reader, cols []Column, opts ...Option) (*Profile, error) {
	b := NewBuilder(cols, opts...)
	if err := ReadJSONL(r, b); err != nil {
		return nil, err
	}
	return b.Profile()
}

// ReadCSV adds the rows of CSV data to b.
func ReadCSV(r io.Reader, b *Builder) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("reading CSV: no header row")
	}
	if err != nil {
		return fmt.Errorf("reading CSV header: %w", err)
	}
	cols := b.Columns()
	index := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := index[h]; !dup {
			index[h] = i
		}
	}
	pos := make([]int, len(cols))
	var missing []string
	for i, c := range cols {
		p, ok := index[c.Name]
		if !ok {
			missing = append(missing, c.Name)
		}
		pos[i] = p
	}
	if missing != nil {
		return fmt.Errorf("reading CSV: %w", &MissingColumnsError{Columns: missing})
	}
	acc := newAccumulator(b, cols)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		for i, c := range cols {
			field := rec[pos[i]]
			if len(field) > MaxFieldBytes {
				return fmt.Errorf("reading CSV: %w", &ParseError{Line: line, Column: c.Name, Msg: fmt.Sprintf("field longer than %d bytes", MaxFieldBytes)})
			}
			if err := acc.addText(i, field); err != nil {
				return fmt.Errorf("reading CSV: %w", &ParseError{Line: line, Column: c.Name, Msg: err.Error()})
			}
		}
	}
	return acc.flush()
}

// ReadJSONL adds the objects of JSON Lines data to b.
func ReadJSONL(r io.Reader, b *Builder) error {
	rows := newObjectRows(b)
	err := scanJSONL(r, func(line int, obj map[string]json.RawMessage) error {
		return rows.add(line, obj)
	})
	if err != nil {
		return fmt.Errorf("reading JSONL: %w", err)
	}
	return rows.flush()
}

// ReadLog adds the rows of a request log that `berth serve --log-requests`
// wrote (one JSON object per scored row, with the row's "inputs" and
// "outputs" as objects) to in and, when out is not nil, the outputs to out.
// An output holding an array fills the columns "name.0", "name.1"… as
// [OutputColumns] names them.
func ReadLog(r io.Reader, in, out *Builder) error {
	ins := newObjectRows(in)
	var outs *objectRows
	if out != nil {
		outs = newObjectRows(out)
	}
	err := scanJSONL(r, func(line int, obj map[string]json.RawMessage) error {
		section := func(key string, rows *objectRows) error {
			var sec map[string]json.RawMessage
			if raw, ok := obj[key]; ok {
				if err := json.Unmarshal(raw, &sec); err != nil {
					return &ParseError{Line: line, Msg: fmt.Sprintf("%q is not a JSON object", key)}
				}
			}
			if sec == nil {
				return &ParseError{Line: line, Msg: fmt.Sprintf("no %q object: not a berth request log", key)}
			}
			return rows.add(line, sec)
		}
		if err := section("inputs", ins); err != nil {
			return err
		}
		if outs != nil {
			return section("outputs", outs)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading request log: %w", err)
	}
	if err := ins.flush(); err != nil {
		return err
	}
	if outs != nil {
		return outs.flush()
	}
	return nil
}

// IsLog reports whether the first non-empty line of data looks like a
// berth request log record, with "inputs" and "outputs" objects.
func IsLog(first []byte) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(first), &obj) != nil {
		return false
	}
	in, out := bytes.TrimSpace(obj["inputs"]), bytes.TrimSpace(obj["outputs"])
	return len(in) > 0 && in[0] == '{' && len(out) > 0 && out[0] == '{'
}

// scanJSONL calls f with each non-empty line's object and its 1-based
// line number.
func scanJSONL(r io.Reader, f func(line int, obj map[string]json.RawMessage) error) error {
	err := jsonl.Lines(r, MaxFieldBytes, func(line int, text []byte) error {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(text, &obj); err != nil {
			return &ParseError{Line: line, Msg: "not a JSON object: " + err.Error()}
		}
		if obj == nil {
			return &ParseError{Line: line, Msg: "not a JSON object"}
		}
		return f(line, obj)
	})
	if tooLong, ok := errors.AsType[*jsonl.LineTooLongError](err); ok {
		return &ParseError{Line: tooLong.Line, Msg: fmt.Sprintf("line longer than %d bytes", MaxFieldBytes)}
	}
	return err
}

// objectRows adds rows given as JSON objects keyed by column name to a
// builder; missing keys and nulls are nulls, other keys are ignored. A key
// that names no column but holds an array fills the columns "key.i".
type objectRows struct {
	acc   *accumulator
	index map[string]int
	seen  []bool
}

func newObjectRows(b *Builder) *objectRows {
	cols := b.Columns()
	o := &objectRows{acc: newAccumulator(b, cols), index: make(map[string]int, len(cols)), seen: make([]bool, len(cols))}
	for i, c := range cols {
		o.index[c.Name] = i
	}
	return o
}

func (o *objectRows) add(line int, obj map[string]json.RawMessage) error {
	clear(o.seen)
	for k, raw := range obj {
		if i, ok := o.index[k]; ok {
			o.seen[i] = true
			if err := o.acc.addJSON(i, raw); err != nil {
				return &ParseError{Line: line, Column: k, Msg: err.Error()}
			}
			continue
		}
		if raw = bytes.TrimSpace(raw); len(raw) == 0 || raw[0] != '[' {
			continue
		}
		if _, ok := o.index[k+".0"]; !ok {
			continue
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return &ParseError{Line: line, Column: k, Msg: "not a JSON array: " + err.Error()}
		}
		for j, e := range elems {
			name := k + "." + strconv.Itoa(j)
			i, ok := o.index[name]
			if !ok {
				continue
			}
			o.seen[i] = true
			if err := o.acc.addJSON(i, e); err != nil {
				return &ParseError{Line: line, Column: name, Msg: err.Error()}
			}
		}
	}
	for i, s := range o.seen {
		if !s {
			o.acc.nulls[i]++
		}
	}
	return nil
}

func (o *objectRows) flush() error { return o.acc.flush() }

// accumulator gathers parsed values per column before handing them to the
// builder in one call each.
type accumulator struct {
	b      *Builder
	cols   []Column
	floats [][]float64
	strs   [][]string
	nulls  []int
}

func newAccumulator(b *Builder, cols []Column) *accumulator {
	return &accumulator{b: b, cols: cols, floats: make([][]float64, len(cols)), strs: make([][]string, len(cols)), nulls: make([]int, len(cols))}
}

func (a *accumulator) addText(i int, s string) error {
	t := a.cols[i].Type
	s = strings.TrimSpace(s)
	if s == "" {
		a.nulls[i]++
		return nil
	}
	switch {
	case t == flavors.ColBoolean:
		v, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", s)
		}
		a.strs[i] = append(a.strs[i], strconv.FormatBool(v))
	case isText(t):
		a.strs[i] = append(a.strs[i], strings.Clone(s))
	case t == "" && a.cols[i].Kind == Categorical:
		a.strs[i] = append(a.strs[i], strings.Clone(s))
	default:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		return a.addFloat(i, v)
	}
	return nil
}

func (a *accumulator) addFloat(i int, v float64) error {
	switch t := a.cols[i].Type; {
	case math.IsNaN(v):
		a.nulls[i]++
		return nil
	case math.IsInf(v, 0):
		return fmt.Errorf("%v is not a finite number", v)
	case math.Abs(v) > MaxAbsValue:
		return fmt.Errorf("%v is larger than %g in magnitude", v, MaxAbsValue)
	case (t == flavors.ColInteger || t == flavors.ColLong) && v != math.Trunc(v):
		return fmt.Errorf("%v is not an integer", v)
	}
	a.floats[i] = append(a.floats[i], v)
	return nil
}

func (a *accumulator) addJSON(i int, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		a.nulls[i]++
		return nil
	}
	t := a.cols[i].Type
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		if !isText(t) && !(t == "" && a.cols[i].Kind == Categorical) {
			// numbers sent as strings, as pandas sometimes writes them
			return a.addText(i, s)
		}
		if t == flavors.ColBoolean {
			return a.addText(i, s)
		}
		a.strs[i] = append(a.strs[i], s)
	case 't', 'f':
		var v bool
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if t != flavors.ColBoolean && t != "" {
			return fmt.Errorf("got a boolean for a %s column", t)
		}
		a.strs[i] = append(a.strs[i], strconv.FormatBool(v))
	case '{', '[':
		return fmt.Errorf("got a JSON %s, want a scalar", map[byte]string{'{': "object", '[': "array"}[raw[0]])
	default:
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("%s is not a number", raw)
		}
		if isText(t) {
			if t == flavors.ColBoolean {
				return fmt.Errorf("got a number for a boolean column")
			}
			a.strs[i] = append(a.strs[i], string(raw))
			return nil
		}
		return a.addFloat(i, v)
	}
	return nil
}

func (a *accumulator) flush() error {
	for i, c := range a.cols {
		if len(a.floats[i]) > 0 {
			if err := a.b.AddFloats(c.Name, a.floats[i]); err != nil {
				return err
			}
		}
		if len(a.strs[i]) > 0 {
			if err := a.b.AddStrings(c.Name, a.strs[i]); err != nil {
				return err
			}
		}
		if err := a.b.AddNulls(c.Name, a.nulls[i]); err != nil {
			return err
		}
	}
	return nil
}
