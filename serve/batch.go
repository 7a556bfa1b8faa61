package serve

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/flavors"
)

// ErrOverloaded is returned when a model's batching queue is full; the
// client is told to retry (503 with Retry-After).
var ErrOverloaded = errors.New("the model's request queue is full; retry shortly")

// BatchConfig configures dynamic batching of one model.
type BatchConfig struct {
	// MaxBatchSize is the most rows one run takes; 0 or 1 turns batching
	// off. A single request with more rows runs alone.
	MaxBatchSize int
	// MaxQueueDelay is how long a request may wait for others to join its
	// batch. It waits only while other requests for the model are on
	// their way (being read or decoded), so a lone request runs at once.
	MaxQueueDelay time.Duration
	// MaxQueueSize is how many requests may wait; one more is answered
	// 503 with Retry-After. Zero means 64 × MaxBatchSize.
	MaxQueueSize int
}

// Enabled reports whether c batches at all.
func (c BatchConfig) Enabled() bool { return c.MaxBatchSize > 1 }

// WithBatching batches the requests of every model whose inputs and
// outputs all have a dynamic first (batch) dimension: requests that arrive
// together are concatenated along it, run once, and split back. Default:
// off, as in Triton and MLServer.
func WithBatching(c BatchConfig) Option { return func(o *options) { o.batch = c } }

// WithModelBatching sets model's batching, overriding WithBatching.
func WithModelBatching(model string, c BatchConfig) Option {
	return func(o *options) {
		if o.modelBatch == nil {
			o.modelBatch = map[string]BatchConfig{}
		}
		o.modelBatch[model] = c
	}
}

// WithMaxConcurrentRuns caps the model runs in progress at once, per
// model, at n; requests beyond it wait their turn. With batching, it is
// the number of batches run at once. Default: GOMAXPROCS with batching,
// unlimited without.
func WithMaxConcurrentRuns(n int) Option { return func(o *options) { o.maxRuns = n } }

// startBatching gives m a batcher when batching is on for it and its
// tensors allow it, or else a limit on concurrent runs when one is set.
func (s *Server) startBatching(m *Model) {
	cfg := s.opts.batch
	if c, ok := s.opts.modelBatch[m.Name]; ok {
		cfg = c
	}
	if cfg.Enabled() {
		if why := m.batchWhy; why != "" {
			s.opts.logger.Warn("dynamic batching is off for this model", "model", m.Name, "reason", why)
		} else {
			obs := batchObservers{
				size:      s.metrics.batchSize.WithLabelValues(m.Name, m.Version),
				queueTime: s.metrics.queueTime.WithLabelValues(m.Name, m.Version),
				depth:     s.metrics.queueDepth.WithLabelValues(m.Name, m.Version),
			}
			m.batcher = newBatcher(m, cfg, s.opts.maxRuns, obs)
			s.opts.logger.Info("dynamic batching", "model", m.Name, "max_batch_size", cfg.MaxBatchSize,
				"max_queue_delay", cfg.MaxQueueDelay, "max_queue_size", m.batcher.cfg.MaxQueueSize,
				"concurrent_runs", m.batcher.workers)
			return
		}
	}
	if s.opts.maxRuns > 0 {
		m.runs = make(chan struct{}, s.opts.maxRuns)
	}
}

// batchable reports why a model with these inputs and outputs cannot have
// its requests concatenated, or "". NewModel stores its answer on the Model.
func batchable(inputs, outputs []flavors.TensorInfo) string {
	for _, ts := range [][]flavors.TensorInfo{inputs, outputs} {
		for _, t := range ts {
			if len(t.Shape) == 0 || t.Shape[0] >= 0 {
				return fmt.Sprintf("%q has no dynamic batch dimension (shape %v)", t.Name, t.Shape)
			}
		}
	}
	return ""
}

// batchJob is one request waiting in a batcher.
type batchJob struct {
	ctx     context.Context
	inputs  []*flavors.Tensor
	outputs []string
	rows    int
	key     string // requests with the same key can share a run
	enq     time.Time
	done    chan batchResult // buffered
}

type batchResult struct {
	outs []*flavors.Tensor
	err  error
}

// batcher runs one model's requests in batches: workers each take the
// oldest waiting request, gather more that fit, run them at once and
// hand each its rows of the outputs.
type batcher struct {
	m       *Model
	cfg     BatchConfig
	queue   chan *batchJob
	quit    chan struct{}
	wg      sync.WaitGroup
	running atomic.Int64 // requests in runs now
	held    atomic.Int64 // requests taken from the queue, not yet running
	gather  sync.Mutex   // one worker gathers a batch at a time
	// carry is a request taken from the queue that did not fit the last
	// batch; the next gatherer, whichever worker it is, starts with it.
	// Guarded by gather.
	carry   *batchJob
	workers int
	obs     batchObservers
}

type batchObservers struct {
	size      prometheus.Observer
	queueTime prometheus.Observer
	depth     prometheus.Gauge
}

func newBatcher(m *Model, cfg BatchConfig, workers int, obs batchObservers) *batcher {
	if cfg.MaxQueueSize <= 0 {
		cfg.MaxQueueSize = 64 * cfg.MaxBatchSize
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	b := &batcher{m: m, cfg: cfg, queue: make(chan *batchJob, cfg.MaxQueueSize), quit: make(chan struct{}), obs: obs, workers: workers}
	b.wg.Add(workers)
	for range workers {
		go b.work()
	}
	return b
}

// stop ends the workers once the model is closed; no request waits then
// (the model is closed only after its last request).
func (b *batcher) stop() {
	close(b.quit)
	b.wg.Wait()
}

// predict queues a request and waits for its outputs, or for ctx.
func (b *batcher) predict(ctx context.Context, inputs []*flavors.Tensor, outputs []string) ([]*flavors.Tensor, error) {
	rows := -1
	for _, t := range inputs {
		if len(t.Shape) == 0 || (rows >= 0 && int(t.Shape[0]) != rows) {
			rows = -1
			break
		}
		rows = int(t.Shape[0])
	}
	if rows <= 0 { // inputs that do not share a batch dimension: not ours to concatenate
		return b.m.Predictor().Predict(ctx, inputs, outputs)
	}
	j := &batchJob{ctx: ctx, inputs: inputs, outputs: outputs, rows: rows, key: jobKey(inputs, outputs),
		enq: time.Now(), done: make(chan batchResult, 1)}
	b.obs.depth.Inc()
	select {
	case b.queue <- j:
	default:
		b.obs.depth.Dec()
		return nil, ErrOverloaded
	}
	select {
	case r := <-j.done:
		return r.outs, r.err
	case <-ctx.Done():
		return nil, ctx.Err() // the run goes on; its answer is dropped
	}
}

// jobKey identifies what must match for requests to share a run: the
// outputs asked for, and each input's name, type and non-batch dims.
func jobKey(inputs []*flavors.Tensor, outputs []string) string {
	var sb strings.Builder
	for _, o := range outputs {
		sb.WriteString(o)
		sb.WriteByte(0)
	}
	sb.WriteByte(1)
	for _, t := range inputs {
		sb.WriteString(t.Name)
		sb.WriteByte(0)
		sb.WriteString(string(t.DType))
		for _, d := range t.Shape[1:] {
			sb.WriteByte(0)
			sb.WriteString(strconv.FormatInt(d, 10))
		}
		sb.WriteByte(1)
	}
	return sb.String()
}

// work gathers a batch and runs it, over and over. One worker gathers at a
// time, so that while one batch runs the next fills up whole rather than
// split between workers.
func (b *batcher) work() {
	defer b.wg.Done()
	for {
		b.gather.Lock()
		batch, rows, ok := b.gatherBatch()
		b.gather.Unlock()
		if !ok {
			return
		}
		b.run(batch, rows)
	}
}

// gatherBatch takes the carried or oldest request and the compatible ones
// behind it, up to MaxBatchSize rows; a request that does not fit is
// carried to the next batch. It waits for more only while requests for the
// model are on their way: held by a handler but neither queued, gathered
// nor running. The caller holds b.gather.
func (b *batcher) gatherBatch() (batch []*batchJob, rows int, ok bool) {
	first := b.carry
	b.carry = nil
	if first == nil {
		select {
		case first = <-b.queue:
			b.obs.depth.Dec()
			b.held.Add(1)
		case <-b.quit:
			return nil, 0, false
		}
	}
	batch, rows = []*batchJob{first}, first.rows
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for rows < b.cfg.MaxBatchSize {
		var j *batchJob
		select {
		case j = <-b.queue:
			b.obs.depth.Dec()
		default:
			coming := b.m.inUse.Load() - b.running.Load() - b.held.Load() - int64(len(b.queue))
			left := b.cfg.MaxQueueDelay - time.Since(first.enq)
			if coming <= 0 || left <= 0 {
				return batch, rows, true
			}
			if timer == nil {
				timer = time.NewTimer(left)
			}
			select {
			case j = <-b.queue:
				b.obs.depth.Dec()
			case <-timer.C:
				return batch, rows, true
			case <-b.quit:
				return batch, rows, true
			}
		}
		b.held.Add(1)
		if j.key != first.key || rows+j.rows > b.cfg.MaxBatchSize {
			b.carry = j // still held, for the next batch
			return batch, rows, true
		}
		batch, rows = append(batch, j), rows+j.rows
	}
	return batch, rows, true
}

// run runs a batch and answers each of its requests. A batch that fails
// is retried request by request, so that one bad request fails alone.
func (b *batcher) run(batch []*batchJob, rows int) {
	live := batch[:0:0]
	now := time.Now()
	for _, j := range batch {
		b.obs.queueTime.Observe(now.Sub(j.enq).Seconds())
		if j.ctx.Err() != nil {
			j.done <- batchResult{err: j.ctx.Err()}
			continue
		}
		live = append(live, j)
	}
	// Running before no longer held, so that the gatherer never counts
	// these requests as still on their way.
	b.running.Add(int64(len(live)))
	b.held.Add(-int64(len(batch)))
	defer b.running.Add(-int64(len(live)))
	if len(live) == 0 {
		return
	}
	if len(live) != len(batch) {
		rows = 0
		for _, j := range live {
			rows += j.rows
		}
	}
	b.obs.size.Observe(float64(rows))
	if len(live) == 1 {
		j := live[0]
		outs, err := b.m.Predictor().Predict(j.ctx, j.inputs, j.outputs)
		j.done <- batchResult{outs, err}
		return
	}
	inputs, err := concatInputs(live, rows)
	var outs []*flavors.Tensor
	if err == nil {
		// The run serves several requests: it is not cut short by one
		// request's deadline (that request stops waiting instead).
		outs, err = b.m.Predictor().Predict(context.WithoutCancel(live[0].ctx), inputs, live[0].outputs)
	}
	if err == nil {
		var parts [][]*flavors.Tensor
		if parts, err = splitOutputs(outs, live, rows); err == nil {
			for i, j := range live {
				j.done <- batchResult{outs: parts[i]}
			}
			return
		}
	}
	for _, j := range live { // one at a time: a bad request fails alone
		outs, err := b.m.Predictor().Predict(j.ctx, j.inputs, j.outputs)
		j.done <- batchResult{outs, err}
	}
}

// concatInputs stacks the requests' inputs along the batch dimension.
func concatInputs(jobs []*batchJob, rows int) ([]*flavors.Tensor, error) {
	first := jobs[0].inputs
	out := make([]*flavors.Tensor, len(first))
	for i, t := range first {
		shape := slices.Clone(t.Shape)
		shape[0] = int64(rows)
		width := 1
		for _, d := range t.Shape[1:] {
			width *= int(d)
		}
		data, err := flavors.MakeSlice(t.DType, rows*width)
		if err != nil {
			return nil, err
		}
		off := 0
		for _, j := range jobs {
			src := j.inputs[i]
			if src.Name != t.Name || src.Len() != j.rows*width {
				return nil, fmt.Errorf("input %q does not fit the batch", t.Name)
			}
			if !copyAt(data, off, src.Data) {
				return nil, fmt.Errorf("input %q: element type %s cannot be batched", t.Name, t.DType)
			}
			off += j.rows * width
		}
		out[i] = &flavors.Tensor{Name: t.Name, DType: t.DType, Shape: shape, Data: data}
	}
	return out, nil
}

// splitOutputs gives each request its rows of every output.
func splitOutputs(outs []*flavors.Tensor, jobs []*batchJob, rows int) ([][]*flavors.Tensor, error) {
	parts := make([][]*flavors.Tensor, len(jobs))
	for i := range parts {
		parts[i] = make([]*flavors.Tensor, len(outs))
	}
	for k, t := range outs {
		if len(t.Shape) == 0 || int(t.Shape[0]) != rows || t.Len()%max(rows, 1) != 0 {
			return nil, fmt.Errorf("output %q has shape %v for a batch of %d rows", t.Name, t.Shape, rows)
		}
		width := t.Len() / rows
		off := 0
		for i, j := range jobs {
			shape := slices.Clone(t.Shape)
			shape[0] = int64(j.rows)
			data, ok := sliceAt(t.Data, off*width, (off+j.rows)*width)
			if !ok {
				return nil, fmt.Errorf("output %q: element type %s cannot be split", t.Name, t.DType)
			}
			parts[i][k] = &flavors.Tensor{Name: t.Name, DType: t.DType, Shape: shape, Data: data}
			off += j.rows
		}
	}
	return parts, nil
}

// copyAt copies src into dst (slices of the same element type) at off.
func copyAt(dst any, off int, src any) bool {
	switch d := dst.(type) {
	case []float32:
		return copyTyped(d, off, src)
	case []float64:
		return copyTyped(d, off, src)
	case []int8:
		return copyTyped(d, off, src)
	case []int16:
		return copyTyped(d, off, src)
	case []int32:
		return copyTyped(d, off, src)
	case []int64:
		return copyTyped(d, off, src)
	case []uint8:
		return copyTyped(d, off, src)
	case []uint16:
		return copyTyped(d, off, src)
	case []uint32:
		return copyTyped(d, off, src)
	case []uint64:
		return copyTyped(d, off, src)
	case []bool:
		return copyTyped(d, off, src)
	case []string:
		return copyTyped(d, off, src)
	}
	return false
}

func copyTyped[T any](dst []T, off int, src any) bool {
	s, ok := src.([]T)
	if ok {
		copy(dst[off:], s)
	}
	return ok
}

// sliceAt returns data[lo:hi] for any tensor element slice; the parts
// share the run's output arrays, which no one else holds.
func sliceAt(data any, lo, hi int) (any, bool) {
	switch d := data.(type) {
	case []float32:
		return d[lo:hi:hi], true
	case []float64:
		return d[lo:hi:hi], true
	case []int8:
		return d[lo:hi:hi], true
	case []int16:
		return d[lo:hi:hi], true
	case []int32:
		return d[lo:hi:hi], true
	case []int64:
		return d[lo:hi:hi], true
	case []uint8:
		return d[lo:hi:hi], true
	case []uint16:
		return d[lo:hi:hi], true
	case []uint32:
		return d[lo:hi:hi], true
	case []uint64:
		return d[lo:hi:hi], true
	case []bool:
		return d[lo:hi:hi], true
	case []string:
		return d[lo:hi:hi], true
	case []map[string]float32:
		return d[lo:hi:hi], true
	}
	return nil, false
}
