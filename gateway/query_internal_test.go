package gateway

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// askReader gives data and records the largest read asked of it.
type askReader struct {
	data   []byte
	maxAsk int
}

func (r *askReader) Read(p []byte) (int, error) {
	r.maxAsk = max(r.maxAsk, len(p))
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestReadDeclared: a declared body is read whole, whatever its size, and
// a client that declares a large body and sends little makes the gateway
// hold a buffer of firstBodyBuffer, not of the size it declared.
func TestReadDeclared(t *testing.T) {
	for _, n := range []int{0, 1, firstBodyBuffer - 1, firstBodyBuffer, firstBodyBuffer + 1, 3*firstBodyBuffer + 7, 1 << 20} {
		data := bytes.Repeat([]byte("0123456789"), n/10+1)[:n]
		b, err := readDeclared(&askReader{data: data}, int64(n))
		if err != nil || !bytes.Equal(b, data) {
			t.Errorf("%d bytes: read %d, %v", n, len(b), err)
		}
	}
	r := &askReader{data: []byte("{")}
	b, err := readDeclared(r, 8<<20)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a short body: %v, want io.ErrUnexpectedEOF", err)
	}
	if r.maxAsk > firstBodyBuffer || cap(b) > firstBodyBuffer {
		t.Errorf("one byte of a declared 8 MB: asked to read %d, buffer of %d; want at most %d", r.maxAsk, cap(b), firstBodyBuffer)
	}
}
