package gateway

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
)

// askReader gives data and records the largest read asked of it. Like
// net/http's bodies, it may give io.EOF with the last bytes.
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
	if len(r.data) == 0 && n%2 == 1 {
		return n, io.EOF
	}
	return n, nil
}

// TestReadGrowing: a body is read whole whatever its size, with the bytes
// of its buffer reserved as it grows; a client that declares a large body
// and sends little makes the gateway hold (and reserve) firstBodyBuffer,
// not the size it declared; a refused reservation ends the read.
func TestReadGrowing(t *testing.T) {
	for _, n := range []int{0, 1, firstBodyBuffer - 1, firstBodyBuffer, firstBodyBuffer + 1, 3*firstBodyBuffer + 7, 1 << 20} {
		data := bytes.Repeat([]byte("0123456789"), n/10+1)[:n]
		for _, exact := range []bool{true, false} {
			limit := int64(n)
			if !exact {
				limit = 8 << 20
			}
			var reserved int64
			b, err := readGrowing(&askReader{data: data}, limit, exact, func(k int64) bool { reserved += k; return true })
			if err != nil || !bytes.Equal(b, data) {
				t.Errorf("%d bytes (exact %v): read %d, %v", n, exact, len(b), err)
			}
			if reserved != int64(cap(b)) {
				t.Errorf("%d bytes (exact %v): reserved %d for a buffer of %d", n, exact, reserved, cap(b))
			}
		}
	}
	r := &askReader{data: []byte("{")}
	var reserved int64
	b, err := readGrowing(r, 8<<20, true, func(k int64) bool { reserved += k; return true })
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a short body: %v, want io.ErrUnexpectedEOF", err)
	}
	if r.maxAsk > firstBodyBuffer || cap(b) > firstBodyBuffer || reserved > firstBodyBuffer {
		t.Errorf("one byte of a declared 8 MB: asked to read %d, buffer of %d, %d reserved; want at most %d", r.maxAsk, cap(b), reserved, firstBodyBuffer)
	}
	refusals := 0
	_, err = readGrowing(&askReader{data: make([]byte, 1<<20)}, 1<<20, true, func(k int64) bool {
		refusals++
		return refusals == 1 // the first 64 kB only
	})
	if !errors.Is(err, errBodyBudget) {
		t.Errorf("a reservation refused: %v, want errBodyBudget", err)
	}
}

// TestBudget: takes never overdraw the budget, however many race, and
// what is given back is there again.
func TestBudget(t *testing.T) {
	var b budget
	b.left.Store(100)
	var wg sync.WaitGroup
	var held atomic.Int64
	for range 8 {
		wg.Go(func() {
			for range 2000 {
				if b.take(30) {
					if h := held.Add(30); h > 100 {
						t.Errorf("%d taken of a budget of 100", h)
					}
					held.Add(-30)
					b.give(30)
				}
			}
		})
	}
	wg.Wait()
	if left := b.left.Load(); left != 100 {
		t.Errorf("%d left, want 100", left)
	}
	if b.take(101) {
		t.Error("took more than the budget")
	}
}
