package s3test

import (
	"io"
	"runtime"
	"sync/atomic"
	"time"
)

// Pattern reads the bytes from Off up to N of one deterministic stream and
// holds none of them: a table of a prime length repeated, so that a part
// out of place shows, copied rather than computed byte by byte (fast under
// -race too). Two Patterns over adjacent ranges read as one.
type Pattern struct{ Off, N int64 }

var patternTable = func() []byte {
	t := make([]byte, 65521)
	x := uint32(2463534242)
	for i := range t {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		t[i] = byte(x)
	}
	return t
}()

func (p *Pattern) Read(b []byte) (int, error) {
	if p.Off >= p.N {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.N-p.Off)]
	for done := 0; done < len(b); {
		done += copy(b[done:], patternTable[(p.Off+int64(done))%int64(len(patternTable)):])
	}
	p.Off += int64(len(b))
	return len(b), nil
}

// PeakHeap samples the heap in use every 20 ms until stop is called, and
// returns the most it grew above where it started.
func PeakHeap() (stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > base && ms.HeapInuse-base > peak.Load() {
					peak.Store(ms.HeapInuse - base)
				}
			}
		}
	}()
	return func() uint64 { close(done); return peak.Load() }
}
