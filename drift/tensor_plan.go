package drift

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// DataHead is the start of a data file, from which [TensorColumns] names
// the features of a model whose inputs are tensors.
type DataHead struct {
	Header []string // a CSV file's header row; nil for JSON Lines
	First  []byte   // a JSON Lines file's first non-empty line
}

// TensorColumns returns the features to profile for a model whose inputs
// are tensors, and notes on the data's columns it leaves out:
//
//   - a rank-1 input is one feature named after the input's Label;
//   - a rank-2 input [rows, N] is N numeric features: with one input, named
//     by the data (a CSV header, the keys of a JSON object, in order, less
//     the drop columns; columns past the N-th are left out with a note),
//     else, and for JSON arrays, "label[j]" ([ColumnName]);
//   - a rank >= 3 input is summarised per sample and channel
//     ([SummaryColumns]), its dynamic dimensions read from the first
//     sample in the data.
func TensorColumns(inputs []TensorInput, head DataHead, drop []string) ([]Column, []string, error) {
	first := bytes.TrimSpace(head.First)
	if IsLog(first) {
		var rec struct {
			Inputs json.RawMessage `json:"inputs"`
		}
		if err := json.Unmarshal(first, &rec); err != nil {
			return nil, nil, fmt.Errorf("reading the first line: %w", err)
		}
		first = rec.Inputs
	}
	if head.Header != nil && len(inputs) > 1 {
		names := make([]string, len(inputs))
		for i, in := range inputs {
			names[i] = in.Name
		}
		return nil, nil, fmt.Errorf("a CSV file cannot feed the model's %d inputs (%s): give JSON Lines objects keyed by input name", len(inputs), strings.Join(quoteAll(names), ", "))
	}
	var cols []Column
	var notes []string
	for _, in := range inputs {
		raw := sampleOf(in, first, len(inputs) == 1)
		switch rank := len(in.Shape); {
		case rank == 1:
			cols = append(cols, MatrixColumns(in, 1, nil)...)
		case rank == 2:
			c, n, err := matrixColumns(in, head.Header, first, raw, len(inputs) == 1, drop)
			if err != nil {
				return nil, nil, err
			}
			cols, notes = append(cols, c...), append(notes, n...)
		default:
			shape := slices.Clone(in.Shape)
			if slices.Contains(shape[1:], -1) {
				if raw == nil {
					return nil, nil, fmt.Errorf("input %q has shape %v: the data must give a sample of it (JSON Lines, one sample per line, nested as the input's shape)", in.Label, in.Shape)
				}
				_, got, err := ParseNested(raw, nil)
				if err != nil {
					return nil, nil, fmt.Errorf("reading the first sample of input %q: %w", in.Label, err)
				}
				if len(got) != rank-1 {
					return nil, nil, fmt.Errorf("the first sample of input %q has shape %v, want %d dimensions to resolve %v", in.Label, got, rank-1, in.Shape)
				}
				for i, d := range got {
					if shape[i+1] < 0 {
						shape[i+1] = int64(d)
					}
				}
			}
			c, err := SummaryColumns(in, shape)
			if err != nil {
				return nil, nil, err
			}
			cols = append(cols, c...)
		}
	}
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c.Name] {
			return nil, nil, fmt.Errorf("two features are named %q", c.Name)
		}
		seen[c.Name] = true
	}
	return cols, notes, nil
}

// sampleOf returns the JSON array in first that holds a row or sample of
// in: the line itself when it is an array and in is the only input, or
// the value of the key naming in.
func sampleOf(in TensorInput, first []byte, only bool) []byte {
	if len(first) == 0 {
		return nil
	}
	if first[0] == '[' {
		if only {
			return first
		}
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(first, &obj) != nil {
		return nil
	}
	for _, k := range []string{in.Name, in.Label} {
		if v := bytes.TrimSpace(obj[k]); len(v) > 0 && v[0] == '[' {
			return v
		}
	}
	return nil
}

func matrixColumns(in TensorInput, header []string, first, raw []byte, only bool, drop []string) ([]Column, []string, error) {
	width := int(in.Shape[1])
	var names []string
	switch {
	case raw != nil:
		vals, shape, err := ParseNested(raw, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the first row of input %q: %w", in.Label, err)
		}
		if len(shape) != 1 || (width >= 0 && len(vals) != width) {
			return nil, nil, fmt.Errorf("the first row of input %q has shape %v, want [%d]", in.Label, shape, width)
		}
		width = len(vals)
	case !only:
	case header != nil:
		names = trimNames(header)
	case len(first) > 0 && first[0] == '{':
		keys, err := objectKeys(first)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the first line: %w", err)
		}
		names = keys
	}
	if names == nil {
		if width < 0 {
			return nil, nil, fmt.Errorf("input %q has shape %v: the data must give its rows (a CSV header, or JSON arrays)", in.Label, in.Shape)
		}
		return MatrixColumns(in, width, nil), nil, nil
	}
	var notes []string
	if dropped := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !slices.Contains(drop, n) }); len(dropped) > 0 {
		notes = append(notes, "leaving out "+strings.Join(quoteAll(dropped), ", ")+" (--target)")
	}
	for _, d := range drop {
		if !slices.Contains(names, d) {
			return nil, nil, fmt.Errorf("the data has no column %q to leave out", d)
		}
	}
	names = slices.DeleteFunc(names, func(n string) bool { return slices.Contains(drop, n) })
	if width < 0 {
		width = len(names)
	}
	if len(names) < width {
		return nil, nil, fmt.Errorf("the data has %d columns (%s), input %q takes %d", len(names), strings.Join(quoteAll(names), ", "), in.Label, width)
	}
	if extra := names[width:]; len(extra) > 0 {
		notes = append(notes, fmt.Sprintf("leaving out %s: input %q takes %d columns, the first %d of the data (--target names a column to leave out)",
			strings.Join(quoteAll(extra), ", "), in.Label, width, width))
	}
	return MatrixColumns(in, width, names[:width]), notes, nil
}

func trimNames(header []string) []string {
	out := make([]string, len(header))
	for i, h := range header {
		out[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	return out
}

// objectKeys returns the keys of a JSON object in the order written.
func objectKeys(obj []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, ok := t.(string)
		if !ok {
			return nil, errors.New("not a JSON object")
		}
		if slices.Contains(keys, k) {
			return nil, fmt.Errorf("key %s twice", strconv.Quote(k))
		}
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return keys, nil
}
