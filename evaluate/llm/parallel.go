package llm

import (
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
