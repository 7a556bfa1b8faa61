package servingusage_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/berthml/berth/internal/servingusage"
)

// TestCounter counts answers by status class and latency bucket, the
// buckets cumulative as Prometheus writes them, a time on a bound in that
// bound's bucket and one past the last bound in Count alone.
func TestCounter(t *testing.T) {
	c := servingusage.NewCounter()
	for _, o := range []struct {
		code    int
		seconds float64
	}{{200, 0.0001}, {200, 0.0003}, {400, 0.002}, {404, 0.002}, {500, 11}, {503, 0.5}} {
		c.Observe(o.code, o.seconds)
	}
	u := c.Usage("iris", "3")
	if u.Model != "iris" || u.Version != "3" || u.Requests != 6 || u.ClientErrors != 2 || u.ServerErrors != 2 || u.Count != 6 {
		t.Errorf("Usage = %+v", u)
	}
	if !slices.Equal(u.Bounds, servingusage.Buckets) {
		t.Errorf("Bounds = %v, want the request duration buckets", u.Bounds)
	}
	want := []int64{1, 1, 2, 2, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5}
	if !slices.Equal(u.Counts, want) {
		t.Errorf("Counts = %v, want %v", u.Counts, want)
	}
	if s := u.Sum; s < 11.5043 || s > 11.5045 {
		t.Errorf("Sum = %v, want 11.5044", s)
	}
}

// TestCounterConcurrent counts from many goroutines without losing one
// (run with -race).
func TestCounterConcurrent(t *testing.T) {
	c := servingusage.NewCounter()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Observe(200, 0.001)
			}
		})
	}
	wg.Wait()
	if u := c.Usage("m", "1"); u.Requests != 8000 || u.Count != 8000 || u.Counts[3] != 8000 || u.Sum < 7.999 || u.Sum > 8.001 {
		t.Errorf("Usage = %+v, want 8000 requests of 1ms", u)
	}
}
