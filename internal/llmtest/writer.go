package llmtest

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// lockedWriter lets the engine's two output streams share one log.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

var _ io.Writer = (*lockedWriter)(nil)

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// lineWatcher copies the engine's stdout to w and sends the rest of the
// first line that starts with prefix to found.
type lineWatcher struct {
	w      io.Writer
	prefix string
	found  chan<- string
	line   []byte
	sent   bool
}

func (l *lineWatcher) Write(p []byte) (int, error) {
	if !l.sent {
		l.line = append(l.line, p...)
		for {
			i := bytes.IndexByte(l.line, '\n')
			if i < 0 {
				if len(l.line) > 4096 { // no such line is this long
					l.line = l.line[:0]
				}
				break
			}
			if rest, ok := bytes.CutPrefix(bytes.TrimRight(l.line[:i], "\r"), []byte(l.prefix)); ok {
				l.found <- string(rest)
				l.sent = true
				l.line = nil
				break
			}
			l.line = l.line[i+1:]
		}
	}
	return l.w.Write(p)
}

// syncWriter serializes writes to w from the engine's two output streams.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
