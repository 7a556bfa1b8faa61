package usage

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berthml/berth/gateway/keys"
	"github.com/berthml/berth/tracking"
)

// Tags on each usage run.
const (
	TagEndpoint   = "berth.gateway.endpoint" // the endpoint the run reports
	TagInstance   = "berth.instance"         // the gateway, host:port
	TagProcess    = "berth.process"          // which process of that gateway (a Writer's random id)
	TagSourceName = "mlflow.source.name"
	SourceName    = "berth gateway"
	// DefaultExperiment holds the usage runs unless WithExperiment names
	// another.
	DefaultExperiment = "berth-gateway"
)

// RunName is the name of an endpoint's usage run.
func RunName(endpoint string) string { return endpoint + "-gateway-usage" }

// Metrics returns the metrics a report is logged as, at step r.Step and
// time r.End: gateway.requests, gateway.request_rate (per second of the
// interval), gateway.interval_s, gateway.client_errors (4xx),
// gateway.server_errors (5xx), gateway.error_rate (server errors per
// request; left out without requests), gateway.input_tokens,
// gateway.output_tokens, gateway.cost_usd, gateway.latency_mean_ms,
// gateway.latency_p50_ms, gateway.latency_p95_ms (left out without
// requests); then, for each key, gateway.key.<name>.requests, .errors
// (4xx and 5xx), .input_tokens, .output_tokens, .cost_usd,
// .latency_p50_ms, .latency_p95_ms. Key names are letters, digits, '.',
// '_' and '-', all allowed in metric keys.
func Metrics(r Report) []tracking.Metric {
	ts, step := r.End.UnixMilli(), r.Step
	var ms []tracking.Metric
	add := func(k string, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			ms = append(ms, tracking.Metric{Key: k, Value: v, Timestamp: ts, Step: step})
		}
	}
	w := r.Window
	add("gateway.requests", float64(w.Requests))
	if secs := r.End.Sub(r.Start).Seconds(); secs > 0 {
		add("gateway.request_rate", float64(w.Requests)/secs)
		add("gateway.interval_s", secs)
	}
	add("gateway.client_errors", float64(w.ClientErrors))
	add("gateway.server_errors", float64(w.ServerErrors))
	if w.Requests > 0 {
		add("gateway.error_rate", float64(w.ServerErrors)/float64(w.Requests))
	}
	add("gateway.input_tokens", float64(w.InputTokens))
	add("gateway.output_tokens", float64(w.OutputTokens))
	add("gateway.cost_usd", usd(w.Cost))
	add("gateway.latency_mean_ms", w.LatencyMean*1000)
	add("gateway.latency_p50_ms", w.LatencyP50*1000)
	add("gateway.latency_p95_ms", w.LatencyP95*1000)
	names := make([]string, 0, len(r.Keys))
	for k := range r.Keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		kw, p := r.Keys[k], "gateway.key."+k+"."
		add(p+"requests", float64(kw.Requests))
		add(p+"errors", float64(kw.ClientErrors+kw.ServerErrors))
		add(p+"input_tokens", float64(kw.InputTokens))
		add(p+"output_tokens", float64(kw.OutputTokens))
		add(p+"cost_usd", usd(kw.Cost))
		add(p+"latency_p50_ms", kw.LatencyP50*1000)
		add(p+"latency_p95_ms", kw.LatencyP95*1000)
	}
	return ms
}

func usd(s keys.Spend) float64 { return float64(s) / 1e9 }

// Sink is where a Writer writes: a tracking server over MLflow's REST API
// ([RESTSink]) or the tracking store of the server the gateway is mounted
// in ([StoreSink]).
type Sink interface {
	// EnsureExperiment returns the id of the experiment named name,
	// creating it when missing.
	EnsureExperiment(ctx context.Context, name string) (string, error)
	CreateRun(ctx context.Context, experimentID, name string, tags []tracking.Tag) (string, error)
	LogMetrics(ctx context.Context, runID string, metrics []tracking.Metric) error
	FinishRun(ctx context.Context, runID string, end time.Time) error
}

// Option configures a Writer.
type Option func(*Writer)

// WithExperiment names the experiment of the usage runs (created when
// missing). Default: DefaultExperiment.
func WithExperiment(name string) Option { return func(w *Writer) { w.experiment = name } }

// WithInstance names the gateway (such as host:port) in each run's
// TagInstance. Default: none.
func WithInstance(name string) Option { return func(w *Writer) { w.instance = name } }

// WithQueueSize bounds the reports waiting to be written; Enqueue drops a
// report when the queue is full. Default: 256.
func WithQueueSize(n int) Option { return func(w *Writer) { w.queue = make(chan Report, max(n, 1)) } }

// WithTimeout bounds the writing of one report. Default: 30s.
func WithTimeout(d time.Duration) Option { return func(w *Writer) { w.timeout = d } }

// WithLogger sets where failed writes and dropped reports are logged.
// Default: discard.
func WithLogger(l *slog.Logger) Option { return func(w *Writer) { w.log = l } }

// maxBatch is the most metrics one write carries (MLflow's limit is 1000).
const maxBatch = 1000

// Writer writes reports to usage runs, one run per endpoint and Writer
// (that is, per gateway process), tagged TagEndpoint, TagProcess,
// TagSourceName and, WithInstance, TagInstance. Enqueue never blocks.
type Writer struct {
	sink       Sink
	experiment string
	instance   string
	queue      chan Report
	timeout    time.Duration
	log        *slog.Logger
	process    string
	dropped    atomic.Int64

	mu    sync.Mutex // guards expID and runs; serialises writes
	expID string
	runs  map[string]string // endpoint -> run id
}

// NewWriter returns a Writer to sink.
func NewWriter(sink Sink, opts ...Option) *Writer {
	w := &Writer{sink: sink, experiment: DefaultExperiment, queue: make(chan Report, 256), timeout: 30 * time.Second,
		log: slog.New(slog.DiscardHandler), process: rand.Text(), runs: map[string]string{}}
	for _, o := range opts {
		o(w)
	}
	return w
}

// Enqueue queues r for Run and returns at once: when the queue is full the
// report is dropped, counted ([Writer.Dropped]) and logged, and Enqueue
// returns false.
func (w *Writer) Enqueue(r Report) bool {
	select {
	case w.queue <- r:
		return true
	default:
		d := w.dropped.Add(1)
		w.log.Warn("gateway usage queue full; report dropped", "endpoint", r.Endpoint, "step", r.Step, "dropped", d)
		return false
	}
}

// Dropped returns how many reports Enqueue has dropped.
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

// Run writes queued reports in order, each within the writer's timeout,
// until ctx is done. A failure is logged and not retried.
func (w *Writer) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-w.queue:
			w.writeLogged(ctx, r)
		}
	}
}

// Drain writes what is queued now until the queue is empty or ctx is done,
// and returns how many reports were left unwritten. Call it once Run has
// returned, at shutdown.
func (w *Writer) Drain(ctx context.Context) int {
	for ctx.Err() == nil {
		select {
		case r := <-w.queue:
			w.writeLogged(ctx, r)
		default:
			return 0
		}
	}
	return len(w.queue)
}

func (w *Writer) writeLogged(ctx context.Context, r Report) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	if err := w.Write(ctx, r); err != nil {
		w.log.Warn("writing a gateway usage report", "endpoint", r.Endpoint, "step", r.Step, "error", err)
	}
}

// Write logs r's metrics to its endpoint's usage run now (creating the run
// on first use).
func (w *Writer) Write(ctx context.Context, r Report) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	run, err := w.run(ctx, r.Endpoint)
	if err != nil {
		return fmt.Errorf("writing usage report %d of endpoint %s: %w", r.Step, r.Endpoint, err)
	}
	ms := Metrics(r)
	for i := 0; i < len(ms); i += maxBatch {
		if err := w.sink.LogMetrics(ctx, run, ms[i:min(i+maxBatch, len(ms))]); err != nil {
			if errors.Is(err, tracking.ErrNotFound) {
				delete(w.runs, r.Endpoint) // the run was deleted: a new one next time
			}
			return fmt.Errorf("logging usage report %d of endpoint %s: %w", r.Step, r.Endpoint, err)
		}
	}
	return nil
}

func (w *Writer) run(ctx context.Context, endpoint string) (string, error) {
	if id, ok := w.runs[endpoint]; ok {
		return id, nil
	}
	if w.expID == "" {
		id, err := w.sink.EnsureExperiment(ctx, w.experiment)
		if err != nil {
			return "", err
		}
		w.expID = id
	}
	tags := []tracking.Tag{{Key: TagEndpoint, Value: endpoint}, {Key: TagSourceName, Value: SourceName},
		{Key: TagProcess, Value: w.process}}
	if w.instance != "" {
		tags = append(tags, tracking.Tag{Key: TagInstance, Value: w.instance})
	}
	id, err := w.sink.CreateRun(ctx, w.expID, RunName(endpoint), tags)
	if err != nil {
		return "", fmt.Errorf("creating the usage run: %w", err)
	}
	w.runs[endpoint] = id
	return id, nil
}

// Finish marks the runs this writer wrote to FINISHED, for a gateway that
// stops: readers then know its figures ended on purpose. Call it after
// Drain.
func (w *Writer) Finish(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	for ep, id := range w.runs {
		if err := w.sink.FinishRun(ctx, id, time.Now()); err != nil {
			errs = append(errs, fmt.Errorf("finishing the usage run of endpoint %s: %w", ep, err))
		}
	}
	return errors.Join(errs...)
}
