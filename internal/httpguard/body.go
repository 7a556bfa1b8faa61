package httpguard

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"
)

// ErrBudget is the error [ReadBody] returns when a body would take its
// server past its [Budget]: the server answers 503 with Retry-After, and
// the client tries again once other bodies are done with.
var ErrBudget = errors.New("the server holds as many request bodies as its budget allows")

// ErrOverBudget is the error [ReadBody] returns for a body larger than its
// server's whole [Budget]: it could never be read, however long the
// client waited, so servers answer 413, not 503.
var ErrOverBudget = errors.New("the request body is larger than the server's whole body budget")

// A Budget bounds the memory the request bodies of a server hold at once,
// across all its requests: their bytes, and whatever else a server counts
// against it (what decoding a body will take). Each request takes from it
// through a [Hold] as its body's buffer grows and gives it back when it
// ends; a take that would overdraw the budget fails at once (nobody
// waits), so memory stays bounded however many clients send large bodies
// together. A nil *Budget bounds nothing.
type Budget struct {
	left atomic.Int64
	size int64
}

// NewBudget returns a budget of n bytes, or nil (no bound) for n <= 0.
func NewBudget(n int64) *Budget {
	if n <= 0 {
		return nil
	}
	b := &Budget{size: n}
	b.left.Store(n)
	return b
}

// Left is what is left of the budget.
func (b *Budget) Left() int64 { return b.left.Load() }

// Size is the whole budget: a request that needs more can never be served.
func (b *Budget) Size() int64 { return b.size }

func (b *Budget) take(n int64) bool {
	for {
		v := b.left.Load()
		if v < n {
			return false
		}
		if b.left.CompareAndSwap(v, v-n) {
			return true
		}
	}
}

// A Hold is what one request holds of a [Budget]. Its zero value, or one
// of a nil Budget, takes anything.
type Hold struct {
	b *Budget
	n int64
}

// NewHold returns a hold on b.
func NewHold(b *Budget) Hold { return Hold{b: b} }

// Take takes k more bytes of the budget for the request, and reports
// whether they were there.
func (h *Hold) Take(k int64) bool {
	if h.b == nil {
		return true
	}
	if !h.b.take(k) {
		return false
	}
	h.n += k
	return true
}

// fits reports whether k more bytes could ever be taken: whether the hold
// and k together are within the whole budget.
func (h *Hold) fits(k int64) bool { return h.b == nil || h.n+k <= h.b.size }

// Charge is Take as an error: nil when the k bytes were taken,
// [ErrBudget] when they are not there now, [ErrOverBudget] when they
// could never be (a server answers 503 and 413).
func (h *Hold) Charge(k int64) error {
	switch {
	case h.Take(k):
		return nil
	case !h.fits(k):
		return ErrOverBudget
	}
	return ErrBudget
}

// Release gives back everything the request took. It may be called more
// than once.
func (h *Hold) Release() {
	if h.b != nil && h.n > 0 {
		h.b.left.Add(h.n)
		h.n = 0
	}
}

// FirstBodyBuffer is how much of a body [ReadBody] holds before any of it
// has arrived.
const FirstBodyBuffer = 64 << 10

// ReadBody reads r's body whole, at most limit bytes, into a buffer that
// grows with what arrives: it starts at [FirstBodyBuffer] (or the declared
// length, when smaller) and doubles up to the declared length or the
// limit, taking the bytes of each growth from h first. A client that
// declares a large body and sends one byte makes the server hold 64 kB,
// not what it declared, while it waits.
//
// The errors: a body over the limit is an *http.MaxBytesError (413); one
// that h's budget cannot take now is [ErrBudget] (503), one it could never
// take [ErrOverBudget] (413); one that misses
// [BodyDeadline] is [ErrBodyTimeout] (408); one cut short is
// io.ErrUnexpectedEOF, or the connection's error.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64, h *Hold) ([]byte, error) {
	return AppendBody(nil, w, r, limit, h)
}

// AppendBody is [ReadBody] appending to dst (a pooled buffer, say, with
// bytes of its own before the body). It takes from h what ReadBody takes,
// plus len(dst), and reads into dst's spare capacity before it allocates:
// a pooled buffer larger than the body is used, not counted whole. On
// error the returned slice is nil.
func AppendBody(dst []byte, w http.ResponseWriter, r *http.Request, limit int64, h *Hold) ([]byte, error) {
	n := r.ContentLength
	if n > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	body, exact := r.Body, n >= 0 // net/http's body ends at Content-Length
	if body == nil {
		body = http.NoBody
	}
	if !exact {
		body = http.MaxBytesReader(w, body, limit)
		n = limit + 1 // room to read the byte past the limit, which MaxBytesReader refuses
	}
	return readGrowing(body, dst, n, exact, h)
}

// readGrowing appends to dst what r gives until EOF or n bytes. What it
// may fill is reserved from h ahead of the bytes: first len(dst) +
// FirstBodyBuffer (or + n, when smaller), then twice that each time it is
// full, up to len(dst) + n; dst is reallocated only when the reserve
// outgrows its capacity. Where n is exact, fewer bytes are
// io.ErrUnexpectedEOF.
func readGrowing(r io.Reader, dst []byte, n int64, exact bool, h *Hold) ([]byte, error) {
	end := int64(len(dst)) + n
	if exact && !h.fits(end) {
		return nil, ErrOverBudget
	}
	reserved := int64(len(dst)) + min(n, FirstBodyBuffer)
	if err := h.Charge(reserved); err != nil {
		return nil, err
	}
	for {
		if int64(cap(dst)) < reserved {
			dst = append(make([]byte, 0, reserved), dst...)
		}
		for int64(len(dst)) < reserved {
			k, err := r.Read(dst[len(dst):reserved])
			dst = dst[:len(dst)+k]
			if err == io.EOF {
				if exact && int64(len(dst)) < end {
					return nil, io.ErrUnexpectedEOF
				}
				return dst, nil
			}
			if err != nil {
				return nil, err
			}
		}
		if reserved == end {
			return dst, nil
		}
		grown := min(end, 2*reserved)
		if err := h.Charge(grown - reserved); err != nil {
			return nil, err
		}
		reserved = grown
	}
}
