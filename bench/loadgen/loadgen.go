// Package loadgen drives the benchmarks under bench/: it calls a function
// from several goroutines for a while and reports calls per second and
// latency percentiles.
package loadgen

import (
	"sort"
	"sync"
	"time"
)

// Result is what one measurement found.
type Result struct {
	RPS      float64
	P50, P99 time.Duration
	Calls    int
	Err      error // the first error a call returned; the measurement stops there
}

// Measure calls f from conc goroutines for d. Each call gets its worker
// number and the worker's own call count, so bodies can vary.
func Measure(conc int, d time.Duration, f func(worker, i int) error) Result {
	var (
		mu      sync.Mutex
		all     []time.Duration
		firstEr error
		wg      sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			for i := 0; time.Now().Before(deadline); i++ {
				t := time.Now()
				if err := f(w, i); err != nil {
					mu.Lock()
					if firstEr == nil {
						firstEr = err
					}
					mu.Unlock()
					break
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := Result{Err: firstEr, RPS: float64(len(all)) / elapsed.Seconds(), Calls: len(all)}
	if len(all) > 0 {
		r.P50 = all[len(all)/2]
		r.P99 = all[len(all)*99/100]
	}
	return r
}
