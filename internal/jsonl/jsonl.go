// Package jsonl reads JSON Lines input a line at a time: one JSON value per
// line, blank lines skipped, every line bounded in length.
package jsonl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// LineTooLongError is a line longer than the limit given to [Lines].
type LineTooLongError struct {
	Line int // 1-based
	Max  int
}

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.Line, e.Max)
}

// Lines calls f with each non-blank line of r, without surrounding space,
// and its 1-based number, until r ends or f returns an error, which Lines
// returns. A line longer than max bytes stops it with a
// [*LineTooLongError]; an error reading r is returned as it is. The line f
// gets is valid only during the call.
func Lines(r io.Reader, max int, f func(n int, line []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64*1024, max)), max)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := f(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &LineTooLongError{Line: n + 1, Max: max}
		}
		return err
	}
	return nil
}
