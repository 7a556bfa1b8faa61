package project

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// outputLog keeps the command's output (and berth's own lines) in a
// temporary file for the run's log artifact, up to a limit; it is written
// from the command's stdout and stderr copiers at once.
type outputLog struct {
	mu      sync.Mutex
	f       *os.File
	n, max  int64
	dropped int64
}

func newOutputLog(dir string, max int64) (*outputLog, error) {
	f, err := os.CreateTemp(dir, "berth-run-*.log")
	if err != nil {
		return nil, fmt.Errorf("keeping the command's output: %w", err)
	}
	return &outputLog{f: f, max: max}, nil
}

func (l *outputLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	keep := int64(len(p))
	if room := l.max - l.n; keep > room {
		keep = max(room, 0)
	}
	l.dropped += int64(len(p)) - keep
	if keep > 0 {
		if _, err := l.f.Write(p[:keep]); err != nil {
			// The log is a copy: a full disk must not stop the command's
			// output from reaching the terminal.
			l.dropped += keep
			return len(p), nil
		}
		l.n += keep
	}
	return len(p), nil
}

// Reader returns the log from its start, with a last line saying how much
// was cut.
func (l *outputLog) Reader() (io.ReadCloser, error) {
	l.mu.Lock()
	if l.dropped > 0 {
		fmt.Fprintf(l.f, "\n[berth: %d more bytes of output were not kept: the log keeps %d bytes]\n", l.dropped, l.max)
		l.dropped = 0
	}
	name := l.f.Name()
	l.mu.Unlock()
	return os.Open(name)
}

func (l *outputLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.f.Close()
	os.Remove(l.f.Name())
	return err
}
