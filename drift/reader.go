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
	for _, c := range cols {
		if s := c.Source; s != nil && s.Rank >= 3 {
			return fmt.Errorf("reading CSV: input %q has rank %d: give its samples as JSON Lines", s.Tensor, s.Rank)
		}
	}
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

// ReadJSONL adds the objects of JSON Lines data to b. For a builder of a
// model whose inputs are tensors (columns with a [Source]), a line may
// also be a JSON array: a row of the model's only input (rank 1 or 2), or
// one sample (rank 3 or more) nested as the input's shape without the
// batch, or flat; and an object may hold such an array under the input's
// name.
func ReadJSONL(r io.Reader, b *Builder) error {
	rows, err := newObjectRows(b)
	if err != nil {
		return fmt.Errorf("reading JSONL: %w", err)
	}
	var arr func(int, []byte) error
	if len(rows.feeds) > 0 {
		arr = rows.addArray
	}
	err = scanJSONL(r, rows.limit(), func(line int, obj map[string]json.RawMessage) error {
		return rows.add(line, obj)
	}, arr)
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
	ins, err := newObjectRows(in)
	if err != nil {
		return fmt.Errorf("reading request log: %w", err)
	}
	var outs *objectRows
	if out != nil {
		if outs, err = newObjectRows(out); err != nil {
			return fmt.Errorf("reading request log: %w", err)
		}
	}
	err = scanJSONL(r, ins.limit(), func(line int, obj map[string]json.RawMessage) error {
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
	}, nil)
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
// line number, or arr with a line holding a JSON array when arr is not
// nil. Lines may be up to limit bytes long.
func scanJSONL(r io.Reader, limit int, f func(line int, obj map[string]json.RawMessage) error, arr func(line int, raw []byte) error) error {
	err := jsonl.Lines(r, limit, func(line int, text []byte) error {
		if arr != nil && len(text) > 0 && text[0] == '[' {
			return arr(line, text)
		}
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
		return &ParseError{Line: tooLong.Line, Msg: fmt.Sprintf("line longer than %d bytes", limit)}
	}
	return err
}

// objectRows adds rows given as JSON objects keyed by column name to a
// builder; missing keys and nulls are nulls, other keys are ignored. A key
// that names no column but holds an array fills the columns "key.i", or
// the features of the model input of that name (see [ReadJSONL]).
type objectRows struct {
	acc   *accumulator
	index map[string]int
	seen  []bool
	feeds map[string]*tensorFeed
	deep  bool // some input has rank >= 3
}

func newObjectRows(b *Builder) (*objectRows, error) {
	cols := b.Columns()
	o := &objectRows{acc: newAccumulator(b, cols), index: make(map[string]int, len(cols)), seen: make([]bool, len(cols))}
	for i, c := range cols {
		o.index[c.Name] = i
	}
	feeds, err := tensorFeeds(cols)
	if err != nil {
		return nil, err
	}
	o.feeds = feeds
	for _, f := range feeds {
		o.deep = o.deep || f.src.Rank >= 3
	}
	return o, nil
}

// limit is the longest line the rows may come in.
func (o *objectRows) limit() int {
	if o.deep {
		return MaxSampleBytes
	}
	return MaxFieldBytes
}

// addArray reads a line that is a JSON array: a row or sample of the
// model's only input.
func (o *objectRows) addArray(line int, raw []byte) error {
	if len(o.feeds) != 1 {
		return &ParseError{Line: line, Msg: "a JSON array is a row of a model with one input; want a JSON object keyed by input name"}
	}
	clear(o.seen)
	for _, f := range o.feeds {
		if err := o.addTensor(f, raw); err != nil {
			return &ParseError{Line: line, Msg: err.Error()}
		}
	}
	o.nullUnseen()
	return nil
}

func (o *objectRows) addTensor(f *tensorFeed, raw []byte) error {
	if err := f.add(o.acc, raw); err != nil {
		return err
	}
	for _, ids := range [][]int{f.cols, f.feats} {
		for _, i := range ids {
			if i >= 0 {
				o.seen[i] = true
			}
		}
	}
	return nil
}

func (o *objectRows) nullUnseen() {
	for i, s := range o.seen {
		if !s {
			o.acc.nulls[i]++
		}
	}
}

func (o *objectRows) add(line int, obj map[string]json.RawMessage) error {
	clear(o.seen)
	for k, raw := range obj {
		if f, ok := o.feeds[k]; ok && !o.isColumn(k) {
			if raw = bytes.TrimSpace(raw); string(raw) == "null" {
				continue
			}
			if err := o.addTensor(f, raw); err != nil {
				return &ParseError{Line: line, Column: k, Msg: err.Error()}
			}
			continue
		}
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
	o.nullUnseen()
	return nil
}

// isColumn reports whether name is a column that a scalar feeds (the
// one feature of a rank-1 input takes the input's name).
func (o *objectRows) isColumn(name string) bool {
	i, ok := o.index[name]
	if !ok {
		return false
	}
	s := o.acc.cols[i].Source
	return s == nil || s.Rank == 1
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
