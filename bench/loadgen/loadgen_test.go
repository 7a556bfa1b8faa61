package loadgen

import (
	"sync"
	"testing"
	"time"
)

// TestStagger: with Stagger(d), worker w makes its first call no sooner
// than d·w/conc after the turn starts; without it, every worker starts at
// once.
func TestStagger(t *testing.T) {
	const conc, d = 4, 80 * time.Millisecond
	for _, stagger := range []bool{false, true} {
		var mu sync.Mutex
		first := make([]time.Time, conc)
		f := func(w, i int) error {
			if i == 0 {
				mu.Lock()
				first[w] = time.Now()
				mu.Unlock()
			}
			time.Sleep(time.Millisecond)
			return nil
		}
		var opts []Option
		if stagger {
			opts = append(opts, Stagger(d))
		}
		start := time.Now()
		r := Measure(conc, 2*d, f, opts...)
		if r.Err != nil || r.Calls == 0 {
			t.Fatalf("stagger %v: %+v", stagger, r)
		}
		for w, at := range first {
			if at.IsZero() {
				t.Fatalf("stagger %v: worker %d never called", stagger, w)
			}
			late := at.Sub(start)
			if want := d * time.Duration(w) / conc; stagger && late < want {
				t.Errorf("worker %d started %v after the turn, want ≥ %v", w, late, want)
			}
			if !stagger && w == conc-1 && late >= d*(conc-1)/conc {
				t.Errorf("without Stagger, worker %d started %v after the turn: staggered anyway?", w, late)
			}
		}
	}
}
