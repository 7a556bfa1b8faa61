package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
)

// bareORT is the model run in this process through berth's ONNX flavor,
// one row per run from N goroutines, with no HTTP and no JSON: the ceiling
// for any server of the model at batch 1.
type bareORT struct {
	pred flavors.Predictor
	in   *flavors.Tensor
	rows int // rows per run: 1, or the batch size of batched
}

// loadBare loads m with the thread settings berth is started with
// (intraOp 0: the model's own, else the flavor's default of one).
func loadBare(ctx context.Context, lib string, m *model, intraOp int) (*bareORT, error) {
	if err := onnx.Init(lib); err != nil {
		return nil, err
	}
	l, err := flavors.Load(ctx, m.dir, flavors.LoadOptions{IntraOpThreads: intraOp})
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", m.dir, err)
	}
	return &bareORT{pred: l.Predictor, in: &flavors.Tensor{Name: m.input, DType: flavors.Float32, Shape: m.shape, Data: m.data}, rows: 1}, nil
}

// batched is b running batches of n copies of its row instead: what
// dynamic batching can gain at best. It shares b's session.
func (b *bareORT) batched(n int) *bareORT {
	row := b.in.Data.([]float32)
	data := make([]float32, 0, n*len(row))
	for range n {
		data = append(data, row...)
	}
	shape := append([]int64{int64(n)}, b.in.Shape[1:]...)
	return &bareORT{pred: b.pred, in: &flavors.Tensor{Name: b.in.Name, DType: b.in.DType, Shape: shape, Data: data}, rows: n}
}

func (b *bareORT) close() { b.pred.Close() }

// output runs the model once and returns output name's values: the
// reference every server's answer is checked against.
func (b *bareORT) output(ctx context.Context, name string) ([]float64, error) {
	outs, err := b.pred.Predict(ctx, []*flavors.Tensor{b.in}, []string{name})
	if err != nil {
		return nil, err
	}
	switch d := outs[0].Data.(type) {
	case []float32:
		v := make([]float64, len(d))
		for i, x := range d {
			v[i] = float64(x)
		}
		return v, nil
	case []float64:
		return d, nil
	}
	return nil, fmt.Errorf("output %s is %T, want floats", name, outs[0].Data)
}

// load runs the model from conc goroutines for d. The sample counts rows,
// and each run's latency.
func (b *bareORT) load(ctx context.Context, conc int, d time.Duration) (sample, error) {
	var (
		mu       sync.Mutex
		all      []time.Duration
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<12)
			var err error
			for time.Now().Before(deadline) {
				t := time.Now()
				if _, err = b.pred.Predict(ctx, []*flavors.Tensor{b.in}, nil); err != nil {
					break
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return sample{}, fmt.Errorf("bare ONNX Runtime: %w", firstErr)
	}
	s := fromLatencies(all, time.Since(start), 0)
	s.requests *= int64(b.rows)
	return s, nil
}
