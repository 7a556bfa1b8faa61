package httpguard

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"time"
)

// DefaultWriteTimeout is how long berth's servers give a client to take
// each part of an answer.
const DefaultWriteTimeout = 60 * time.Second

// writePart is the most one deadline covers: a larger write is made in
// parts, each with its own deadline, so that a slow but steady reader is
// not cut off.
const writePart = 1 << 20

// WriteProgress gives every write of an answer d to complete (in parts of
// at most 1 MiB): a client that stops reading has its connection closed d
// after the write it stalled, instead of holding the answer, the handler
// and its memory for as long as it keeps the connection open. It wraps
// only net/http's own writer (one that can set write deadlines); d <= 0
// sets nothing. net/http clears the deadline when the request is done.
func WriteProgress(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dl, ok := w.(deadliner)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(&progressWriter{ResponseWriter: w, dl: dl, d: d}, r)
	})
}

type deadliner interface{ SetWriteDeadline(time.Time) error }

// progressWriter sets the write deadline before each part it writes.
type progressWriter struct {
	http.ResponseWriter
	dl deadliner
	d  time.Duration
}

func (w *progressWriter) extend() { _ = w.dl.SetWriteDeadline(time.Now().Add(w.d)) }

func (w *progressWriter) Write(p []byte) (int, error) {
	n := 0
	for {
		part := p[n:min(len(p), n+writePart)]
		w.extend()
		k, err := w.ResponseWriter.Write(part)
		n += k
		if err != nil || n == len(p) {
			return n, err
		}
	}
}

// ReadFrom keeps net/http's sendfile for files (io.Copy from an *os.File),
// a part at a time.
func (w *progressWriter) ReadFrom(src io.Reader) (int64, error) {
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if !ok {
		return io.Copy(writerOnly{w}, src)
	}
	var total int64
	for {
		w.extend()
		n, err := rf.ReadFrom(io.LimitReader(src, writePart))
		total += n
		if err != nil || n < writePart {
			return total, err
		}
	}
}

// writerOnly hides ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

// FlushError writes what is buffered within the deadline.
func (w *progressWriter) FlushError() error {
	w.extend()
	switch f := w.ResponseWriter.(type) {
	case interface{ FlushError() error }:
		return f.FlushError()
	case http.Flusher:
		f.Flush()
		return nil
	}
	return http.ErrNotSupported
}

func (w *progressWriter) Flush() { _ = w.FlushError() }

func (w *progressWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("httpguard: the response writer cannot be hijacked")
}

// Unwrap lets http.ResponseController reach net/http's writer.
func (w *progressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
