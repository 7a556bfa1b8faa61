// Package batchscore runs a model over a data file in batches through the
// request decoder the scoring server uses, so that offline work (the
// output half of a drift reference profile; evaluations) sees exactly the
// conversions and checks a served request would.
package batchscore

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/jsonl"
	"github.com/berthml/berth/internal/jsonw"
)

// DefaultBatchRows is how many rows [File] scores at a time by default.
const DefaultBatchRows = 1024

// sampleBatchRows is how many samples of a rank >= 3 input (an image)
// ProfileOutputs scores at a time.
const sampleBatchRows = 64

// Batch is one scored batch.
type Batch struct {
	First   int // the 1-based data row of its first row
	Rows    int
	Inputs  []*flavors.Tensor
	Outputs []*flavors.Tensor
}

// Scorer scores batches of rows with one loaded model.
type Scorer struct {
	pred    flavors.Predictor
	dec     *scoring.Decoder
	columns map[string]bool // the signature's named input columns; nil: keep all
	drop    map[string]bool // columns never sent to the model
	tensor  bool            // one input tensor without named columns: CSV rows become its rows
	keep    []string        // tensor: the columns sent, in order; nil: all but the dropped
	input   string          // tensor: the input's name, which a JSON Lines object may key its row by
	sample  []int64         // tensor of rank >= 3: a sample's shape, which flat JSON arrays are nested to
	rows    int
}

// Keep sends exactly the named columns, in this order, as the rows of a
// model whose single input has no named columns (the columns a drift
// profile named its features after), instead of every column but the
// dropped ones in file order.
func (s *Scorer) Keep(cols ...string) { s.keep = cols }

// Drop keeps the named columns (a target, an id) from the model, for
// models whose signature does not name their inputs.
func (s *Scorer) Drop(cols ...string) {
	if s.drop == nil {
		s.drop = map[string]bool{}
	}
	for _, c := range cols {
		s.drop[c] = true
	}
}

// New returns a scorer of l that scores rows at a time (at least 1).
func New(l *flavors.Loaded, rows int) (*Scorer, error) {
	dec, err := scoring.NewDecoder(scoring.ModelSpec{
		Signature: l.MLmodel.Signature,
		Inputs:    l.Predictor.Inputs(),
		Outputs:   l.Predictor.Outputs(),
	})
	if err != nil {
		return nil, fmt.Errorf("checking the model's signature against its inputs: %w", err)
	}
	s := &Scorer{pred: l.Predictor, dec: dec, rows: max(rows, 1)}
	sig := l.MLmodel.Signature
	switch {
	case sig != nil && sig.Inputs != nil && !sig.Inputs.IsTensor() && sig.Inputs.HasNames():
		s.columns = map[string]bool{}
		for _, c := range sig.Inputs.Columns {
			s.columns[c.Name] = true
		}
	case len(l.Predictor.Inputs()) == 1:
		// A tensor-based signature (or none) and one input: the CSV's
		// columns, in file order, are the tensor's columns.
		s.tensor = true
		in := l.Predictor.Inputs()[0]
		s.input = in.Name
		if len(in.Shape) >= 3 && !slices.Contains(in.Shape[1:], -1) {
			s.sample = in.Shape[1:]
		}
	}
	return s, nil
}

// File scores a CSV file with a header row, or a JSON Lines file (.jsonl,
// .ndjson: one object per row keyed by column), calling fn with each batch
// in order. Columns the signature does not name (a target, an id) are
// dropped before scoring.
func (s *Scorer) File(ctx context.Context, path string, fn func(Batch) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		err = s.JSONL(ctx, f, fn)
	default:
		err = s.CSV(ctx, f, fn)
	}
	if err != nil {
		return fmt.Errorf("scoring %s: %w", path, err)
	}
	return nil
}

// CSV scores CSV data with a header row. For a model whose single input
// has no named columns, each row's fields (but the dropped columns), in
// file order, are a row of that input tensor, sent in the decoder's
// "inputs" form; otherwise the rows go as CSV, as a client would send them.
func (s *Scorer) CSV(ctx context.Context, r io.Reader, fn func(Batch) error) error {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("no header row")
	}
	if err != nil {
		return fmt.Errorf("reading the CSV header: %w", err)
	}
	var keep []int
	var names []string
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if (s.tensor || s.columns == nil || s.columns[h]) && !s.drop[h] && (!s.tensor || s.keep == nil) {
			keep = append(keep, i)
			names = append(names, h)
		}
	}
	if s.tensor && s.keep != nil {
		if keep, err = s.keptColumns(header); err != nil {
			return err
		}
	}
	var enc rowEncoder = &csvEncoder{names: names}
	if s.tensor {
		enc = &tensorEncoder{}
	}
	row := make([]string, len(keep))
	first, n := 1, 0
	enc.begin()
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading CSV: %w", err)
		}
		for j, i := range keep {
			row[j] = rec[i]
		}
		enc.add(row)
		if n++; n == s.rows {
			body, format := enc.end()
			if err := s.score(ctx, format, body, first, n, fn); err != nil {
				return err
			}
			first, n = first+n, 0
			enc.begin()
		}
	}
	if n == 0 {
		if first == 1 {
			return errors.New("no data rows")
		}
		return nil
	}
	body, format := enc.end()
	return s.score(ctx, format, body, first, n, fn)
}

// keptColumns returns the positions of s.keep in header.
func (s *Scorer) keptColumns(header []string) ([]int, error) {
	pos := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := pos[h]; !dup {
			pos[h] = i
		}
	}
	keep := make([]int, len(s.keep))
	for j, c := range s.keep {
		i, ok := pos[c]
		if !ok {
			return nil, fmt.Errorf("the data has no column %q", c)
		}
		keep[j] = i
	}
	return keep, nil
}

// nest returns a flat JSON array of a sample of a rank >= 3 input nested
// to the input's shape (as the request log writes samples flat); other
// arrays as they are.
func (s *Scorer) nest(arr []byte) ([]byte, error) {
	if s.sample == nil || bytes.HasPrefix(bytes.TrimSpace(arr[1:]), []byte("[")) {
		return arr, nil
	}
	vals, _, err := drift.ParseNested(arr, nil)
	if err != nil {
		return nil, err
	}
	size := 1
	for _, d := range s.sample {
		size *= int(d)
	}
	if len(vals) != size {
		return nil, fmt.Errorf("a flat sample of %d values, want %d for shape %v", len(vals), size, s.sample)
	}
	out := make([]byte, 0, len(arr)+len(arr)/8)
	var emit func(dims []int64, off int) int
	emit = func(dims []int64, off int) int {
		out = append(out, '[')
		for i := range int(dims[0]) {
			if i > 0 {
				out = append(out, ',')
			}
			if len(dims) == 1 {
				if v := vals[off]; v != v {
					out = append(out, "null"...)
				} else {
					out = strconv.AppendFloat(out, v, 'g', -1, 64)
				}
				off++
				continue
			}
			off = emit(dims[1:], off)
		}
		out = append(out, ']')
		return off
	}
	emit(s.sample, 0)
	return out, nil
}

// rowEncoder builds one batch's request body from CSV rows.
type rowEncoder interface {
	begin()
	add(row []string)
	end() ([]byte, scoring.Format)
}

// csvEncoder writes the rows back as CSV under the kept header.
type csvEncoder struct {
	names []string
	buf   bytes.Buffer
	w     *csv.Writer
}

func (e *csvEncoder) begin() {
	e.buf.Reset()
	e.w = csv.NewWriter(&e.buf)
	_ = e.w.Write(e.names)
}
func (e *csvEncoder) add(row []string) { _ = e.w.Write(row) }
func (e *csvEncoder) end() ([]byte, scoring.Format) {
	e.w.Flush()
	return e.buf.Bytes(), scoring.FormatCSV
}

// tensorEncoder writes the rows as {"inputs": [[...], ...]}.
type tensorEncoder struct {
	buf  bytes.Buffer
	rows int
}

func (e *tensorEncoder) begin() {
	e.buf.Reset()
	e.buf.WriteString(`{"inputs":[`)
	e.rows = 0
}
func (e *tensorEncoder) add(row []string) {
	if e.rows > 0 {
		e.buf.WriteByte(',')
	}
	e.rows++
	e.buf.WriteByte('[')
	for j, f := range row {
		if j > 0 {
			e.buf.WriteByte(',')
		}
		appendCSVValue(&e.buf, f)
	}
	e.buf.WriteByte(']')
}
func (e *tensorEncoder) end() ([]byte, scoring.Format) {
	e.buf.WriteString("]}")
	return e.buf.Bytes(), scoring.FormatJSON
}

// appendCSVValue writes a CSV field as a JSON number when it is a finite
// number, else as a JSON string (which the decoder refuses for a numeric
// input, naming the value).
func appendCSVValue(buf *bytes.Buffer, field string) {
	f := strings.TrimSpace(field)
	if v, err := strconv.ParseFloat(f, 64); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
		buf.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		return
	}
	buf.Write(jsonw.AppendString(nil, field))
}

// maxLine is the longest JSON Lines row JSONL takes.
const maxLine = 64 << 20

// JSONL scores JSON Lines data, one object per row. For a model whose
// single input has no named columns, a line may also be a JSON array (a
// row of the input, or one sample nested as its shape less the batch), or
// an object holding such an array under the input's name, or an object
// of the kept columns (see [Scorer.Keep]); the rows go in the decoder's
// "inputs" form.
func (s *Scorer) JSONL(ctx context.Context, r io.Reader, fn func(Batch) error) error {
	var buf bytes.Buffer
	start := func() {
		buf.Reset()
		if s.tensor {
			buf.WriteString(`{"inputs":[`)
		} else {
			buf.WriteString(`{"dataframe_records":[`)
		}
	}
	start()
	first, n := 1, 0
	var rowErr error // a bad row or a failed batch, as opposed to reading
	err := jsonl.Lines(r, maxLine, func(line int, text []byte) error {
		if s.tensor {
			row, err := s.tensorRow(text)
			if err != nil {
				rowErr = fmt.Errorf("line %d: %w", line, err)
				return rowErr
			}
			text = row
		} else if text[0] != '{' {
			rowErr = fmt.Errorf("line %d: not a JSON object", line)
			return rowErr
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.Write(text)
		if n++; n == s.rows {
			buf.WriteString("]}")
			if rowErr = s.score(ctx, scoring.FormatJSON, buf.Bytes(), first, n, fn); rowErr != nil {
				return rowErr
			}
			first, n = first+n, 0
			start()
		}
		return nil
	})
	if rowErr != nil {
		return rowErr
	}
	if err != nil {
		return fmt.Errorf("reading JSON Lines: %w", err)
	}
	if n == 0 {
		if first == 1 {
			return errors.New("no data rows")
		}
		return nil
	}
	buf.WriteString("]}")
	return s.score(ctx, scoring.FormatJSON, buf.Bytes(), first, n, fn)
}

// tensorRow returns the JSON array that a JSON Lines line gives as one
// row of a tensor model's input (the decoder checks its values).
func (s *Scorer) tensorRow(text []byte) ([]byte, error) {
	if text[0] == '[' {
		return s.nest(text)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(text, &obj); err != nil || obj == nil {
		return nil, errors.New("not a JSON array or object")
	}
	if v := bytes.TrimSpace(obj[s.input]); len(v) > 0 && v[0] == '[' {
		return s.nest(v)
	}
	if s.keep == nil {
		return nil, fmt.Errorf("no array under the input's name %q, and no columns to read", s.input)
	}
	row := []byte{'['}
	for j, c := range s.keep {
		v, ok := obj[c]
		if !ok {
			v = json.RawMessage("null")
		}
		if j > 0 {
			row = append(row, ',')
		}
		row = append(row, bytes.TrimSpace(v)...)
	}
	return append(row, ']'), nil
}

func (s *Scorer) score(ctx context.Context, format scoring.Format, body []byte, first, n int, fn func(Batch) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req, err := s.dec.Decode(format, body)
	if err != nil {
		return fmt.Errorf("rows %d to %d: %w", first, first+n-1, err)
	}
	outs, err := s.pred.Predict(ctx, req.Inputs, nil)
	if err != nil {
		return fmt.Errorf("rows %d to %d: scoring: %w", first, first+n-1, err)
	}
	return fn(Batch{First: first, Rows: req.Rows, Inputs: req.Inputs, Outputs: outs})
}

// ProfileOutputs scores the data file with l and profiles its outputs as
// drift.OutputColumns names them: the output half of a drift reference
// (or, with drift.WithReference, of a current profile). A model without
// outputs that can be profiled gives none.
func ProfileOutputs(ctx context.Context, l *flavors.Loaded, data string, opts ...drift.Option) ([]drift.Feature, error) {
	return ProfileOutputsKeeping(ctx, l, data, nil, opts...)
}

// ProfileOutputsKeeping is [ProfileOutputs] for a model whose single input
// has no named columns, sending it the keep columns of the data (see
// [Scorer.Keep]); nil keeps all.
func ProfileOutputsKeeping(ctx context.Context, l *flavors.Loaded, data string, keep []string, opts ...drift.Option) ([]drift.Feature, error) {
	var inputs []string
	if sig := l.MLmodel.Signature; sig != nil && sig.Inputs != nil {
		for _, c := range sig.Inputs.Columns {
			inputs = append(inputs, c.Name)
		}
	}
	cols := drift.OutputColumns(l.Predictor.Outputs(), inputs)
	if len(cols) == 0 {
		return nil, nil
	}
	rows := DefaultBatchRows
	if ins := l.Predictor.Inputs(); len(ins) == 1 && len(ins[0].Shape) >= 3 {
		rows = sampleBatchRows // images: batches of a few MB
	}
	s, err := New(l, rows)
	if err != nil {
		return nil, err
	}
	if keep != nil {
		s.Keep(keep...)
	}
	b := drift.NewBuilder(drift.Columns(cols), opts...)
	err = s.File(ctx, data, func(batch Batch) error {
		return drift.AddOutputs(b, cols, batch.Outputs)
	})
	if err != nil {
		return nil, err
	}
	p, err := b.Profile()
	if err != nil {
		return nil, fmt.Errorf("profiling the outputs: %w", err)
	}
	return p.Features, nil
}
