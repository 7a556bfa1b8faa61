package main

import (
	"context"
	"time"

	"github.com/berthml/berth/bench/proccpu"
)

// target is one thing the table measures.
type target struct {
	kind  kind
	label string
	url   string   // for the HTTP targets
	bare  *bareORT // for bare ONNX Runtime
	// body, when set, is this target's request body instead of the
	// model's JSON one; headerLen is its Inference-Header-Content-Length.
	body, headerLen string
	// goroutines, when not 0, replaces the level's concurrency for bare.
	goroutines int
	// pid is the HTTP target's server process, whose CPU time each turn
	// reads (0: not read).
	pid int
}

type kind int

const (
	kindFloor kind = iota
	kindBerthOff
	kindBerthOn
	kindNode
	kindBare
	kindBareBatch
	kindBerthBinary
	kindBerthMLflow // /invocations with the body MLflow wrote for the model
	// The same two on a berth under taskset (-pinned-berth).
	kindBerthPinnedBinary
	kindBerthPinnedMLflow
	// The same two on a second berth (-berth-b, -berth-b-args).
	kindBerthBBinary
	kindBerthBMLflow
)

// load runs one turn of t at concurrency n for d; wrk POSTs body to the
// HTTP targets.
//
// The sample's cpu is the CPU time the target spent: for bare ONNX Runtime
// this process's (nothing else runs in it during the turn), for an HTTP
// target its server process's (from /proc; unknown elsewhere, or when the
// server is shared with another target of the turn, which it is not).
func (t target) load(ctx context.Context, w *wrkRunner, body string, n int, d time.Duration) (sample, error) {
	if t.bare != nil {
		if t.goroutines > 0 {
			n = t.goroutines
		}
		c0, ok0 := proccpu.Self()
		s, err := t.bare.load(ctx, n, d)
		c1, ok1 := proccpu.Self()
		s.cpu, s.cpuUnknown = c1-c0, !ok0 || !ok1
		return s, err
	}
	if t.body != "" {
		body = t.body
	}
	c0, ok0 := proccpu.Of(t.pid)
	s, err := w.run(ctx, t.url, body, t.headerLen, n, d)
	c1, ok1 := proccpu.Of(t.pid)
	s.cpu, s.cpuUnknown = c1-c0, !ok0 || !ok1
	return s, err
}

// inTurns measures ts at concurrency n in turns of d, one target after the
// other, backwards every other turn (A B C, C B A, A B C, …), so that a
// shared machine whose speed drifts during the run slows every target alike
// and no target always follows the same one. It returns each target's turns
// merged.
func inTurns(ctx context.Context, ts []target, w *wrkRunner, body string, n, turns int, d time.Duration) ([]sample, error) {
	merged := make([]sample, len(ts))
	for turn := range turns {
		for j := range ts {
			k := j
			if turn%2 == 1 {
				k = len(ts) - 1 - j
			}
			s, err := ts[k].load(ctx, w, body, n, d)
			if err != nil {
				return nil, err
			}
			merged[k].add(s)
		}
	}
	return merged, nil
}
