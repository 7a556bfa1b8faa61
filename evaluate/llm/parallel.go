package llm

import (
	"context"
	"runtime"
	"sync"
)

// parallel runs f(0..n-1) on GOMAXPROCS goroutines, each taking a
// contiguous share of the rows.
func parallel(n int, f func(i int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	for g := range w {
		lo, hi := n*g/w, n*(g+1)/w
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				f(i)
			}
		})
	}
	wg.Wait()
}

// fanOut calls do(ctx, k) for every job k in 0..jobs-1, at most
// concurrency at once (at least one), each job writing its own results
// by index. The first error cancels the ctx the running calls get, no
// job starts after it, and it is returned; otherwise a cancelled ctx's
// error is.
func fanOut(ctx context.Context, jobs, concurrency int, do func(ctx context.Context, k int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	next := make(chan int)
	for range max(1, min(concurrency, jobs)) {
		wg.Go(func() {
			for k := range next {
				if ctx.Err() != nil {
					continue // a job handed out as it was cancelled
				}
				if err := do(ctx, k); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
send:
	for k := range jobs {
		select {
		case next <- k:
		case <-ctx.Done():
			break send
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
