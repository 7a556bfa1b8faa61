package main

import (
	"context"
	"time"
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
)

// load runs one turn of t at concurrency n for d; wrk POSTs body to the
// HTTP targets.
func (t target) load(ctx context.Context, w *wrkRunner, body string, n int, d time.Duration) (sample, error) {
	switch {
	case t.bare != nil && t.goroutines > 0:
		return t.bare.load(ctx, t.goroutines, d)
	case t.bare != nil:
		return t.bare.load(ctx, n, d)
	}
	if t.body != "" {
		return w.run(ctx, t.url, t.body, t.headerLen, n, d)
	}
	return w.run(ctx, t.url, body, "", n, d)
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
