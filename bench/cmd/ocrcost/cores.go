package main

import (
	"fmt"
	"runtime"
	"sort"
	"syscall"
	"time"
	"unsafe"
)

// coreWorker runs functions on one OS thread pinned to one CPU and times
// them in that thread's CPU time: what a run costs there, whatever else
// the machine runs meanwhile (time the thread waits for a CPU is not
// counted; time it stalls on memory is).
type coreWorker struct{ jobs chan coreJob }

type coreJob struct {
	fn   func() error
	done chan coreResult
}

type coreResult struct {
	cpu time.Duration
	err error
}

// newCoreWorker starts a worker pinned to cpu. It fails where threads
// cannot be pinned (sched_setaffinity refused, or not Linux).
func newCoreWorker(cpu int) (*coreWorker, error) {
	w := &coreWorker{jobs: make(chan coreJob)}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the process
		if err := pinThread(cpu); err != nil {
			started <- err
			return
		}
		started <- nil
		for j := range w.jobs {
			t0 := threadCPU()
			err := j.fn()
			j.done <- coreResult{threadCPU() - t0, err}
		}
	}()
	return w, <-started
}

func (w *coreWorker) do(fn func() error) (time.Duration, error) {
	done := make(chan coreResult)
	w.jobs <- coreJob{fn, done}
	r := <-done
	return r.cpu, r.err
}

func pinThread(cpu int) error {
	var mask [16]uint64
	if cpu < 0 || cpu >= 64*len(mask) {
		return fmt.Errorf("cpu %d out of range", cpu)
	}
	mask[cpu/64] |= 1 << (cpu % 64)
	if _, _, errno := syscall.Syscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask))); errno != 0 {
		return fmt.Errorf("pinning a thread to CPU %d: %w", cpu, errno)
	}
	return nil
}

func threadCPU() time.Duration {
	var ts syscall.Timespec
	// CLOCK_THREAD_CPUTIME_ID is 3 on Linux.
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// coreTable times the bare run and the JSON request (decode + run) with
// every run on CPU 0, and with runs alternating between CPUs 0 and 1: the
// second is what a server whose requests land on either core pays for
// fetching the model's weights and activations from the other core's
// caches. Medians of each turn's thread CPU time per run; turns alternate.
func coreTable(turns, n int, bare, full func() error) error {
	if runtime.NumCPU() < 2 {
		return fmt.Errorf("-cores needs 2 CPUs, this machine has %d", runtime.NumCPU())
	}
	var ws [2]*coreWorker
	for i := range ws {
		w, err := newCoreWorker(i)
		if err != nil {
			return err
		}
		ws[i] = w
	}
	type mode struct {
		name string
		fn   func() error
		alt  bool
		p50s []float64
	}
	ms := []*mode{{name: "bare run, always CPU 0", fn: bare}, {name: "bare run, CPUs 0 and 1 in turn", fn: bare, alt: true},
		{name: "decode + run, always CPU 0", fn: full}, {name: "decode + run, CPUs 0 and 1 in turn", fn: full, alt: true}}
	for _, m := range ms { // warm both cores
		for i := range 10 {
			if _, err := ws[i%2].do(m.fn); err != nil {
				return err
			}
		}
	}
	for turn := range turns {
		for k := range ms {
			m := ms[(k+turn)%len(ms)]
			ds := make([]float64, 0, n)
			for i := range n {
				w := ws[0]
				if m.alt {
					w = ws[i%2]
				}
				d, err := w.do(m.fn)
				if err != nil {
					return err
				}
				ds = append(ds, float64(d)/1e6)
			}
			sort.Float64s(ds)
			m.p50s = append(m.p50s, ds[len(ds)/2])
		}
	}
	fmt.Printf("\nWhere the run executes (-cores): thread CPU ms per run, median of %d runs per turn, %d turns\n\n", n, turns)
	fmt.Println("| runs | CPU ms (median of turns) | per turn | ÷ same CPU |")
	fmt.Println("|---|---:|---|---:|")
	for i, m := range ms {
		same := median(ms[i&^1].p50s)
		fmt.Printf("| %s | %.3f | %s | %.2f |\n", m.name, median(m.p50s), list(m.p50s), same/median(m.p50s))
	}
	return nil
}
