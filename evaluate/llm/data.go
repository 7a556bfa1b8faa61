package llm

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// MaxLine is the longest JSON Lines row ReadData accepts.
const MaxLine = 16 << 20

// Table is rows of named columns: the evaluation data as read, and MLflow's
// eval_results_table.json ({"columns": [...], "data": [[...], ...]}).
type Table struct {
	Columns []string `json:"columns"`
	Data    [][]any  `json:"data"`
}

// Column returns the index of the column name, or -1.
func (t *Table) Column(name string) int { return slices.Index(t.Columns, name) }

// ReadData reads a CSV file with a header (every value a string) or, for a
// .jsonl or .json file, JSON Lines of objects (the columns are the first
// row's keys in order, then any new key in order of appearance; a missing
// value is null).
func ReadData(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if strings.HasSuffix(path, ".jsonl") || strings.HasSuffix(path, ".json") {
		t, err := ParseJSONL(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		return t, nil
	}
	t, err := ParseCSV(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return t, nil
}

// ParseCSV reads CSV with a header row.
func ParseCSV(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty CSV: no header")
	}
	if err != nil {
		return nil, err
	}
	if i := dupIndex(head); i >= 0 {
		return nil, fmt.Errorf("column %q appears twice in the header", head[i])
	}
	t := &Table{Columns: head}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		row := make([]any, len(rec))
		for i, v := range rec {
			row[i] = v
		}
		t.Data = append(t.Data, row)
	}
}

func dupIndex(s []string) int {
	seen := map[string]bool{}
	for i, v := range s {
		if seen[v] {
			return i
		}
		seen[v] = true
	}
	return -1
}

// ParseJSONL reads JSON Lines of objects; blank lines are skipped.
func ParseJSONL(r io.Reader) (*Table, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	t := &Table{}
	idx := map[string]int{}
	var rows []map[string]any
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		keys, obj, err := decodeObject(b)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		for _, k := range keys {
			if _, ok := idx[k]; !ok {
				idx[k] = len(t.Columns)
				t.Columns = append(t.Columns, k)
			}
		}
		rows = append(rows, obj)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", line+1, MaxLine)
		}
		return nil, err
	}
	for _, obj := range rows {
		row := make([]any, len(t.Columns))
		for k, v := range obj {
			row[idx[k]] = v
		}
		t.Data = append(t.Data, row)
	}
	return t, nil
}

// decodeObject decodes one JSON object, returning its keys in order.
func decodeObject(b []byte) ([]string, map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, errors.New("not a JSON object")
	}
	var keys []string
	obj := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, dup := obj[k]; !dup {
			keys = append(keys, k)
		}
		obj[k] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("more than one JSON value on the line")
	}
	return keys, obj, nil
}

// TextColumn returns column name as text: a JSON string as is, a number or
// boolean as its JSON text, null (or a list or object) as nil (not text).
func (t *Table) TextColumn(name string) ([]*string, error) {
	c := t.Column(name)
	if c < 0 {
		return nil, fmt.Errorf("no column %q in the data (columns: %s)", name, strings.Join(t.Columns, ", "))
	}
	out := make([]*string, len(t.Data))
	for i, row := range t.Data {
		switch v := row[c].(type) {
		case string:
			out[i] = &v
		case float64:
			s := strconv.FormatFloat(v, 'f', -1, 64)
			out[i] = &s
		case bool:
			s := strconv.FormatBool(v)
			out[i] = &s
		}
	}
	return out, nil
}

// IDColumn returns column name as lists of document ids: a JSON array (in a
// JSON Lines row, or as the text of a CSV cell) of strings or numbers.
func (t *Table) IDColumn(name string) ([][]string, error) {
	c := t.Column(name)
	if c < 0 {
		return nil, fmt.Errorf("no column %q in the data (columns: %s)", name, strings.Join(t.Columns, ", "))
	}
	out := make([][]string, len(t.Data))
	for i, row := range t.Data {
		v := row[c]
		if s, ok := v.(string); ok {
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				return nil, fmt.Errorf("row %d, column %q: want a JSON array of document ids, got %q", i+1, name, s)
			}
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("row %d, column %q: want an array of document ids", i+1, name)
		}
		ids := make([]string, len(arr))
		for j, e := range arr {
			switch e := e.(type) {
			case string:
				ids[j] = e
			case float64:
				ids[j] = strconv.FormatFloat(e, 'f', -1, 64)
			default:
				return nil, fmt.Errorf("row %d, column %q: document id %d is not a string or number", i+1, name, j+1)
			}
		}
		out[i] = ids
	}
	return out, nil
}
