package httpguard

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
// of its buffer taken from the budget as it grows; a client that declares
// a large body and sends little makes the server hold (and take)
// FirstBodyBuffer, not the size it declared; a refused take ends the read.
func TestReadGrowing(t *testing.T) {
	for _, n := range []int{0, 1, FirstBodyBuffer - 1, FirstBodyBuffer, FirstBodyBuffer + 1, 3*FirstBodyBuffer + 7, 1 << 20} {
		data := bytes.Repeat([]byte("0123456789"), n/10+1)[:n]
		for _, exact := range []bool{true, false} {
			limit := int64(n)
			if !exact {
				limit = 8 << 20
			}
			b := NewBudget(1 << 30)
			h := NewHold(b)
			got, err := readGrowing(&askReader{data: data}, nil, limit, exact, &h)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%d bytes (exact %v): read %d, %v", n, exact, len(got), err)
			}
			if taken := 1<<30 - b.Left(); taken != int64(cap(got)) || h.n != taken {
				t.Errorf("%d bytes (exact %v): took %d (hold %d) for a buffer of %d", n, exact, taken, h.n, cap(got))
			}
			h.Release()
			if b.Left() != 1<<30 {
				t.Errorf("%d bytes (exact %v): %d left after the release", n, exact, b.Left())
			}
		}
	}
	r := &askReader{data: []byte("{")}
	b := NewBudget(1 << 30)
	h := NewHold(b)
	got, err := readGrowing(r, nil, 8<<20, true, &h)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a short body: %v, want io.ErrUnexpectedEOF", err)
	}
	if taken := 1<<30 - b.Left(); r.maxAsk > FirstBodyBuffer || cap(got) > FirstBodyBuffer || taken > FirstBodyBuffer {
		t.Errorf("one byte of a declared 8 MB: asked to read %d, buffer of %d, %d taken; want at most %d", r.maxAsk, cap(got), taken, FirstBodyBuffer)
	}
	small := NewBudget(FirstBodyBuffer) // the first 64 kB only
	h = NewHold(small)
	if _, err = readGrowing(&askReader{data: make([]byte, 1<<20)}, nil, 1<<20+1, false, &h); !errors.Is(err, ErrOverBudget) {
		t.Errorf("a take refused: %v, want ErrOverBudget", err)
	}
	h.Release()
	if small.Left() != FirstBodyBuffer {
		t.Errorf("%d left after a refused read's release, want %d", small.Left(), FirstBodyBuffer)
	}
	var none Hold // no budget: takes anything
	if got, err := readGrowing(&askReader{data: make([]byte, 1<<20)}, nil, 1<<20, true, &none); err != nil || len(got) != 1<<20 {
		t.Errorf("without a budget: read %d, %v", len(got), err)
	}
}

// TestBudget: takes never overdraw the budget, however many race, and
// what is released is there again.
func TestBudget(t *testing.T) {
	b := NewBudget(100)
	var wg sync.WaitGroup
	var held atomic.Int64
	for range 8 {
		wg.Go(func() {
			for range 2000 {
				h := NewHold(b)
				if h.Take(30) {
					if n := held.Add(30); n > 100 {
						t.Errorf("%d taken of a budget of 100", n)
					}
					held.Add(-30)
					h.Release()
					h.Release() // twice gives back nothing more
				}
			}
		})
	}
	wg.Wait()
	if left := b.Left(); left != 100 {
		t.Errorf("%d left, want 100", left)
	}
	h := NewHold(b)
	if h.Take(101) {
		t.Error("took more than the budget")
	}
	if NewBudget(0) != nil || NewBudget(-1) != nil {
		t.Error("a budget of 0 or less should be none")
	}
}

// TestAppendGrowing: appended to a buffer with bytes of its own and room
// to spare (a pooled one), the body follows those bytes and is read into
// the room without a new buffer while it fits; what is taken from the
// budget is the buffer's own bytes and the body's reserve, not the whole
// room.
func TestAppendGrowing(t *testing.T) {
	for _, n := range []int{0, 5, 1000, FirstBodyBuffer + 3, 300 << 10} {
		data := bytes.Repeat([]byte("abcdefghij"), n/10+1)[:n]
		for _, exact := range []bool{true, false} {
			limit := int64(n)
			if !exact {
				limit = 8 << 20
			}
			const room = 256 << 10
			pooled := append(make([]byte, 0, room), "lead"...)
			b := NewBudget(1 << 30)
			h := NewHold(b)
			got, err := readGrowing(&askReader{data: data}, pooled, limit, exact, &h)
			if err != nil || string(got[:4]) != "lead" || !bytes.Equal(got[4:], data) {
				t.Errorf("%d bytes (exact %v) after 4 of the buffer's own: read %d, %v", n, exact, len(got), err)
				continue
			}
			taken := 1<<30 - b.Left()
			if taken < int64(len(got)) || (exact && taken != int64(len(got))) && n <= FirstBodyBuffer {
				t.Errorf("%d bytes (exact %v): took %d for %d bytes", n, exact, taken, len(got))
			}
			if taken > 2*int64(len(got))+FirstBodyBuffer {
				t.Errorf("%d bytes (exact %v): took %d for %d bytes, more than twice", n, exact, taken, len(got))
			}
			if fits := n+4 <= room; fits != (&got[:1][0] == &pooled[:1][0]) {
				t.Errorf("%d bytes (exact %v): the pooled buffer of %d kept: %v", n, exact, room>>10, !fits)
			}
		}
	}
}

// TestOverBudget: a body larger than the whole budget is ErrOverBudget
// (413: it could never be read), declared or chunked, and one that does
// not fit only because others hold the budget is ErrBudget (503).
func TestOverBudget(t *testing.T) {
	data := make([]byte, 512<<10)
	b := NewBudget(256 << 10)
	h := NewHold(b)
	if _, err := readGrowing(&askReader{data: data}, nil, int64(len(data)), true, &h); !errors.Is(err, ErrOverBudget) {
		t.Errorf("512 kB declared, a budget of 256 kB: %v, want ErrOverBudget", err)
	}
	h.Release()
	if _, err := readGrowing(&askReader{data: data}, nil, 1<<20+1, false, &h); !errors.Is(err, ErrOverBudget) {
		t.Errorf("512 kB chunked, a budget of 256 kB: %v, want ErrOverBudget", err)
	}
	h.Release()
	other := NewHold(b)
	other.Take(200 << 10)
	if _, err := readGrowing(&askReader{data: data[:100<<10]}, nil, 100<<10, true, &h); !errors.Is(err, ErrBudget) {
		t.Errorf("100 kB beside 200 kB held of 256 kB: %v, want ErrBudget", err)
	}
	h.Release()
	other.Release()
	if b.Left() != 256<<10 {
		t.Errorf("%d left after the releases", b.Left())
	}
}
