package s3

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// countingWriter counts the writes it takes and keeps the bytes.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// trickleBody answers reads of up to step bytes, as a socket does, and
// records whether it was closed.
type trickleBody struct {
	r      io.Reader
	step   int
	err    error // returned once r is drained, instead of io.EOF
	closed bool
}

func (b *trickleBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p[:min(len(p), b.step)])
	if err == io.EOF && b.err != nil {
		err = b.err
	}
	return n, err
}

func (b *trickleBody) Close() error { b.closed = true; return nil }

func TestObjectWriteTo(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16) // 5 MiB
	tests := []struct {
		name       string
		step       int // bytes per read of the body
		maxWrites  int // what a 1 MiB buffer allows; 32 KiB would take 160
		wantErr    string
		bodyErr    error
		wantLength int
	}{
		{name: "large reads", step: 4 << 20, maxWrites: 6, wantLength: len(data)},
		{name: "socket-sized reads", step: 64 << 10, maxWrites: 80, wantLength: len(data)},
		{name: "body fails midway", step: 1 << 20, maxWrites: 6, bodyErr: errors.New("connection reset"),
			wantErr: "reading artifact 1/r/artifacts/model.bin: connection reset", wantLength: len(data)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &trickleBody{r: bytes.NewReader(data), step: tt.step, err: tt.bodyErr}
			o := &object{path: "1/r/artifacts/model.bin", body: body, size: int64(len(data))}
			var w countingWriter
			n, err := io.Copy(&w, o) // io.Copy finds WriteTo, as the proxy's does
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("io.Copy error = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if n != int64(tt.wantLength) || !bytes.Equal(w.Bytes(), data[:tt.wantLength]) {
				t.Fatalf("copied %d bytes, equal: %v; want %d", n, bytes.Equal(w.Bytes(), data[:tt.wantLength]), tt.wantLength)
			}
			if w.writes > tt.maxWrites {
				t.Errorf("%d writes for %d bytes read %d at a time, want at most %d (a 1 MiB buffer)", w.writes, len(data), tt.step, tt.maxWrites)
			}
			if err := o.Close(); err != nil || !body.closed {
				t.Errorf("Close = %v, body closed: %v", err, body.closed)
			}
			if o.Size() != int64(len(data)) {
				t.Errorf("Size = %d, want %d", o.Size(), len(data))
			}
		})
	}
}

func TestObjectRead(t *testing.T) {
	o := &object{path: "a/b.txt", body: &trickleBody{r: strings.NewReader("hello"), step: 2, err: errors.New("timeout")}, size: -1}
	got, err := io.ReadAll(o)
	if string(got) != "hello" || err == nil || err.Error() != "reading artifact a/b.txt: timeout" {
		t.Fatalf("ReadAll = %q, %v; want hello and the path in the error", got, err)
	}
	o = &object{path: "a/b.txt", body: &trickleBody{r: strings.NewReader("hello"), step: 2}, size: 5}
	if got, err := io.ReadAll(o); string(got) != "hello" || err != nil {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
}
