package jsonl_test

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/berthml/berth/internal/jsonl"
)

func TestLines(t *testing.T) {
	type got struct {
		n    int
		line string
	}
	read := func(in string, max int) ([]got, error) {
		var out []got
		err := jsonl.Lines(strings.NewReader(in), max, func(n int, line []byte) error {
			out = append(out, got{n, string(line)})
			return nil
		})
		return out, err
	}
	out, err := read("{\"a\": 1}\n\n  \t\n  {\"b\": 2}  \r\n{\"c\": 3}", 64)
	if want := []got{{1, `{"a": 1}`}, {4, `{"b": 2}`}, {5, `{"c": 3}`}}; err != nil || !slices.Equal(out, want) {
		t.Errorf("Lines = %v, %v; want %v", out, err, want)
	}
	if out, err := read("", 64); err != nil || len(out) != 0 {
		t.Errorf("empty input: %v, %v", out, err)
	}

	// The third line is one byte too long.
	out, err = read("{}\n{}\n"+strings.Repeat("x", 17)+"\n{}\n", 16)
	var tooLong *jsonl.LineTooLongError
	if !errors.As(err, &tooLong) || tooLong.Line != 3 || tooLong.Max != 16 || len(out) != 2 {
		t.Errorf("a long line: %v after %v, want line 3 too long after two lines", err, out)
	}
	if msg := err.Error(); msg != "line 3 is longer than 16 bytes" {
		t.Errorf("message %q", msg)
	}

	stop := errors.New("stop")
	calls := 0
	err = jsonl.Lines(strings.NewReader("1\n2\n3\n"), 64, func(int, []byte) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("f's error: %v after %d calls, want stop after 1", err, calls)
	}

	err = jsonl.Lines(iotest.ErrReader(io.ErrUnexpectedEOF), 64, func(int, []byte) error { return nil })
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error: %v", err)
	}
}
