package sqlretry

import (
	"testing"
	"time"
)

// TestBackoff checks the waits between attempts: 2, 4, 8, 16 ms, each
// with up to as much again of jitter.
func TestBackoff(t *testing.T) {
	for retry := 1; retry < Attempts; retry++ {
		base := 2 * time.Millisecond << (retry - 1)
		seen := map[time.Duration]bool{}
		for range 200 {
			d := Backoff(retry)
			if d < base || d >= 2*base {
				t.Fatalf("Backoff(%d) = %v, want in [%v, %v)", retry, d, base, 2*base)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("Backoff(%d) gave %d distinct waits in 200 calls: no jitter", retry, len(seen))
		}
	}
}
