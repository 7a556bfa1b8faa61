// Package loadgen drives the benchmarks under bench/: it calls a function
// from several goroutines for a while and reports calls per second and
// latency percentiles.
package loadgen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Result is what one measurement found.
type Result struct {
	RPS                 float64
	P50, P90, P99, P999 time.Duration
	Calls               int
	Err                 error // the first error a call returned; the measurement stops there

	// Turns holds each turn's own figures, in order, for Interleave; nil
	// for Measure.
	Turns []Result
}

// Option changes how Measure and Interleave drive their load.
type Option func(*options)

type options struct {
	stagger time.Duration
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Stagger spreads the workers' first calls of every turn evenly over d:
// worker w starts d·w/conc after the turn does, instead of all of them at
// once. Against a server that answers after a fixed delay, closed-loop
// workers that start together stay in step for the whole turn — all conc
// calls arrive in one burst every delay, which no set of independent
// clients does — so a latency measurement there should pass that delay.
// The turn's calls per second still count from its start.
func Stagger(d time.Duration) Option {
	return func(o *options) { o.stagger = d }
}

// Measure calls f from conc goroutines for d. Each call gets its worker
// number and the worker's own call count, so bodies can vary.
func Measure(conc int, d time.Duration, f func(worker, i int) error, opts ...Option) Result {
	lat, elapsed, err := measure(conc, d, f, newOptions(opts))
	return result(lat, elapsed, err)
}

// Interleave measures several functions in turns: rounds rounds of slice
// each, one function after the other, so that a machine whose speed drifts
// during the run (a shared VM) slows every function alike and their ratios
// hold. Odd rounds go through fs backwards, so that no function always
// follows the same one; two functions next to each other in fs are measured
// in the order A B, B A, A B, …
func Interleave(conc, rounds int, slice time.Duration, fs []func(worker, i int) error, opts ...Option) []Result {
	o := newOptions(opts)
	lats := make([][]time.Duration, len(fs))
	elapsed := make([]time.Duration, len(fs))
	errs := make([]error, len(fs))
	turns := make([][]Result, len(fs))
	for round := range rounds {
		for j := range fs {
			k := j
			if round%2 == 1 {
				k = len(fs) - 1 - j
			}
			if errs[k] != nil {
				continue
			}
			lat, e, err := measure(conc, slice, fs[k], o)
			lats[k] = append(lats[k], lat...)
			elapsed[k] += e
			errs[k] = err
			// lat's calls were copied into lats[k]: result may sort it.
			turns[k] = append(turns[k], result(lat, e, err))
		}
	}
	out := make([]Result, len(fs))
	for k := range fs {
		out[k] = result(lats[k], elapsed[k], errs[k])
		out[k].Turns = turns[k]
	}
	return out
}

func result(all []time.Duration, elapsed time.Duration, err error) Result {
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := Result{Err: err, Calls: len(all)}
	if elapsed > 0 {
		r.RPS = float64(len(all)) / elapsed.Seconds()
	}
	if len(all) > 0 {
		r.P50 = all[len(all)/2]
		r.P90 = all[len(all)*90/100]
		r.P99 = all[len(all)*99/100]
		r.P999 = all[len(all)*999/1000]
	}
	return r
}

func measure(conc int, d time.Duration, f func(worker, i int) error, o options) ([]time.Duration, time.Duration, error) {
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
			if o.stagger > 0 {
				time.Sleep(o.stagger * time.Duration(w) / time.Duration(conc))
			}
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
	return all, time.Since(start), firstEr
}

// Levels parses a comma-separated list of client concurrency levels.
func Levels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad concurrency %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}
