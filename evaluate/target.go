package evaluate

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/berthml/berth/internal/jsonl"
)

// ReadTarget reads the target column of a CSV file with a header row, or
// of a JSON Lines file (.jsonl, .ndjson), as text, one entry per data row.
// A JSON string is read as its text, a number or boolean as written.
func ReadTarget(path, target string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return readTargetJSONL(f, path, target)
	}
	return readTargetCSV(f, path, target)
}

// readTargetCSV reads the target column of CSV with a header row; path
// names it in errors.
func readTargetCSV(r io.Reader, path, target string) ([]string, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading %s: no header row", path)
	}
	col := -1
	for i, h := range header {
		if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == target {
			col = i
			break
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("%s has no column %q (it has %s)", path, target, strings.Join(header, ", "))
	}
	var out []string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		out = append(out, strings.Clone(rec[col]))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no data rows", path)
	}
	return out, nil
}

func readTargetJSONL(r io.Reader, path, target string) ([]string, error) {
	var out []string
	var rowErr error // a bad row, as opposed to reading
	err := jsonl.Lines(r, 64<<20, func(line int, text []byte) error {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(text, &obj); err != nil {
			rowErr = fmt.Errorf("%s, line %d: not a JSON object", path, line)
			return rowErr
		}
		raw, ok := obj[target]
		if !ok {
			rowErr = fmt.Errorf("%s, line %d: no %q key", path, line, target)
			return rowErr
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			s = string(bytes.TrimSpace(raw)) // a number or boolean, as written
		}
		out = append(out, s)
		return nil
	})
	if rowErr != nil {
		return nil, rowErr
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no data rows", path)
	}
	return out, nil
}
