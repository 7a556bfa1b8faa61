package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/cliflag"
	"github.com/berthml/berth/serve"
	"github.com/berthml/berth/serve/servingreport"
)

// servingGCPercent is berth serve's GOGC unless the environment sets one.
const servingGCPercent = 400

// started is when the process began, for the start-to-ready figure.
var started = time.Now()

// serveOptions are berth serve's flags, in groups.
type serveOptions struct {
	listen   listenOptions
	source   sourceOptions
	runtime  runtimeOptions
	scoring  scoringOptions
	drift    driftServeOptions
	reqlog   requestLogOptions
	batching batchingOptions
}

// scoringOptions are berth serve's own server flags: which model
// /invocations scores, the token, limits and the registry poll.
type scoringOptions struct {
	defaultModel string
	token        cliflag.Token
	bodyLimit    cliflag.ByteSize
	respLimit    cliflag.SizeOrOff
	timeout      time.Duration
	poll         time.Duration
}

// AddFlags adds berth serve's scoring server flags to cmd.
func (o *scoringOptions) AddFlags(cmd *cobra.Command) {
	o.bodyLimit, o.respLimit = 100<<20, serve.DefaultResponseLimit
	f := cmd.Flags()
	f.StringVar(&o.defaultModel, "default", "", "model that /invocations scores (default: the first)")
	f.Var(&o.token, "token", "require this bearer token on scoring, model and drift routes (not empty; health, /version, /v2 and /metrics stay open)")
	f.Var(&o.bodyLimit, "body-limit", "largest request body accepted (e.g. 100MiB, 1GiB)")
	f.Var(&o.respLimit, "response-limit", "largest scoring response sent; a larger one is answered 413 (0 disables)")
	f.DurationVar(&o.timeout, "timeout", 60*time.Second, "answer 504 to a request still running after this (0 disables)")
	f.DurationVar(&o.poll, "poll-interval", 10*time.Second, "how often models:/ aliases, stages and latest are checked for a new version (0: never)")
}

// driftServeOptions are berth serve's drift monitoring and write-back
// flags.
type driftServeOptions struct {
	on        bool
	rows      int
	every     time.Duration
	th        drift.Thresholds
	persist   int
	writeback bool
	webhook   string
	report    time.Duration
}

// AddFlags adds the drift and write-back flags to cmd.
func (o *driftServeOptions) AddFlags(cmd *cobra.Command) {
	o.th = drift.DefaultThresholds()
	f := cmd.Flags()
	f.BoolVar(&o.on, "drift", true, "compare the inputs and outputs of models that have a "+drift.FileName+" with it, window by window")
	f.IntVar(&o.rows, "drift-window-rows", drift.DefaultWindowRows, "close a drift window after this many rows")
	f.DurationVar(&o.every, "drift-window-time", drift.DefaultWindowTime, "close a drift window after this long (0: by rows only)")
	thresholdFlags(f, &o.th, "drift-")
	f.IntVar(&o.persist, "drift-persistence", drift.DefaultPersistence, "a model's drift status is drift once this many consecutive windows drifted (a drifting window short of it warns)")
	f.BoolVar(&o.writeback, "drift-writeback", true, "log each closed drift window of a models:/ model to a monitoring run on the registry and tag its version with the drift status")
	f.DurationVar(&o.report, "report-interval", time.Minute, "log request rate, latency and errors of models:/ models to their monitoring run every this long (0: off)")
	f.StringVar(&o.webhook, "drift-webhook", "", "POST a JSON event to this URL when a models:/ model's drift status changes (needs --drift-writeback)")
}

// options returns the server's drift options.
func (o *driftServeOptions) options() []serve.Option {
	return []serve.Option{serve.WithDrift(o.on), serve.WithDriftOptions(drift.WithWindowRows(o.rows), drift.WithWindowTime(o.every),
		drift.WithThresholds(o.th), drift.WithPersistence(o.persist))}
}

// requestLogOptions are the --log-requests flags.
type requestLogOptions struct {
	path    string
	sample  float64
	maxSize cliflag.ByteSize
}

// AddFlags adds the --log-requests flags to cmd.
func (o *requestLogOptions) AddFlags(cmd *cobra.Command) {
	o.maxSize = 100 << 20
	f := cmd.Flags()
	f.StringVar(&o.path, "log-requests", "", "append a sample of scored requests, one JSON line per row with its inputs and outputs, to this file (berth drift report --current reads it)")
	f.Float64Var(&o.sample, "log-requests-sample", 1, "share of requests --log-requests writes (0 to 1)")
	f.Var(&o.maxSize, "log-requests-max-size", "rotate the --log-requests file to FILE.1 at this size (0: never)")
}

// open opens the request log, or returns nil when --log-requests is not
// given.
func (o *requestLogOptions) open(log *slog.Logger) (*serve.RequestLog, error) {
	if o.path == "" {
		return nil, nil
	}
	if o.sample < 0 || o.sample > 1 {
		return nil, fmt.Errorf("--log-requests-sample %v is not between 0 and 1", o.sample)
	}
	return serve.OpenRequestLog(o.path, serve.RequestLogOptions{SampleRate: o.sample, MaxBytes: int64(o.maxSize), Logger: log})
}

// batchingOptions are the dynamic batching and model run flags.
type batchingOptions struct {
	batch      serve.BatchConfig
	modelBatch []string
	maxRuns    int
	threads    flavors.LoadOptions
}

// AddFlags adds the batching and thread flags to cmd.
func (o *batchingOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&o.batch.MaxBatchSize, "max-batch-size", 0, "dynamic batching: the most rows one model run takes (0: off); requests arriving together are concatenated, run once and split back")
	f.DurationVar(&o.batch.MaxQueueDelay, "max-queue-delay", 2*time.Millisecond, "dynamic batching: how long a request may wait for others to join its batch")
	f.IntVar(&o.batch.MaxQueueSize, "max-queue-size", 0, "dynamic batching: requests that may wait before the next is answered 503 with Retry-After (0: 64 × --max-batch-size)")
	f.StringArrayVar(&o.modelBatch, "batch", nil, "per-model batching, NAME=SIZE[/DELAY] or NAME=off (repeatable; overrides --max-batch-size and --max-queue-delay)")
	f.IntVar(&o.maxRuns, "max-concurrent-runs", 0, "model runs in progress at once, per model (0: one per CPU with batching, no limit without)")
	f.IntVar(&o.threads.IntraOpThreads, "intra-op-threads", 0, "ONNX Runtime threads within an operator, for every model (0: the model's onnx_session_options, else 1)")
	f.IntVar(&o.threads.InterOpThreads, "inter-op-threads", 0, "ONNX Runtime threads across operators, for every model (0: the model's setting)")
}

// options returns the server's batching options for models.
func (o *batchingOptions) options(models []serve.ModelArg) ([]serve.Option, error) {
	perModel, err := serve.ParseModelBatch(o.modelBatch, o.batch, models)
	if err != nil {
		return nil, err
	}
	opts := []serve.Option{serve.WithBatching(o.batch), serve.WithMaxConcurrentRuns(o.maxRuns)}
	for name, c := range perModel {
		opts = append(opts, serve.WithModelBatching(name, c))
	}
	return opts, nil
}

func newServeCmd(g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [NAME=]MODEL ...",
		Short: "Serve models over MLflow's scoring protocol, Open Inference Protocol v2 and KServe V1",
		Long: `Serve one or more MLflow model directories over REST.

Each MODEL is an MLflow model directory (with an MLmodel file) or a registry
URI — models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/latest or
models:/NAME/STAGE — resolved against --registry-uri. It is served under NAME
(default: the directory's base name, or the registered model's name). A URI
that names an alias, a stage or latest is watched: when it moves to another
version, berth loads that version and swaps it in without failing a request. /invocations scores the first
model, or the one named by --default; every model also answers at
/models/NAME/invocations, /v2/models/NAME/infer and /v1/models/NAME:predict.`,
		Example: `  berth serve testdata/models/iris_logreg
  berth serve iris=./iris diabetes=./diabetes --default iris --port 8080
  berth serve models:/iris@champion --registry-uri http://127.0.0.1:5000`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("no model given: berth serve takes one or more model directories or models:/ URIs\n\n%s", cmd.UsageString())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			return runServe(cmd.Context(), o, args, log)
		},
	}
	o.listen.AddFlags(cmd, "8080")
	o.scoring.AddFlags(cmd)
	o.source.AddFlags(cmd)
	o.runtime.AddFlags(cmd)
	o.drift.AddFlags(cmd)
	o.reqlog.AddFlags(cmd)
	o.batching.AddFlags(cmd)
	return cmd
}

// runServe listens first, so liveness answers at once, then loads and warms
// up every model, and only then reports ready.
func runServe(ctx context.Context, o *serveOptions, args []string, log *slog.Logger) error {
	models, err := serve.ParseModelArgs(args)
	if err != nil {
		return err
	}
	if err := o.scoring.token.Check("--token", "BERTH_TOKEN"); err != nil {
		return err
	}
	if err := serve.CheckModelArgs(models, o.scoring.defaultModel); err != nil {
		return err
	}
	if err := o.runtime.init(); err != nil {
		return err
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		// A scoring server's Go heap is small and short-lived (the model's
		// weights live in ONNX Runtime's memory): collecting less often
		// costs a few megabytes and buys a few percent of throughput.
		debug.SetGCPercent(servingGCPercent)
	}
	opts := []serve.Option{
		serve.WithLogger(log),
		serve.WithBodyLimit(int64(o.scoring.bodyLimit)),
		serve.WithBodyTimeout(o.listen.bodyTimeout),
		serve.WithResponseLimit(int64(o.scoring.respLimit)),
		serve.WithAllowedHosts(o.listen.hosts()),
		serve.WithTimeout(o.scoring.timeout),
		serve.WithShutdownTimeout(o.listen.shutdown),
		serve.WithToken(o.scoring.token.Value),
		serve.WithDefaultModel(o.scoring.defaultModel),
	}
	opts = append(opts, o.drift.options()...)
	batching, err := o.batching.options(models)
	if err != nil {
		return err
	}
	opts = append(opts, batching...)
	if o.listen.accessLog {
		opts = append(opts, serve.WithAccessLog(log))
	}
	rl, err := o.reqlog.open(log)
	if err != nil {
		return err
	}
	if rl != nil {
		defer rl.Close() // after the server has shut down
		opts = append(opts, serve.WithRequestLog(rl))
	}
	ln, err := o.listen.listen()
	if err != nil {
		return err
	}
	wb := servingreport.New(servingreport.Config{Registry: o.source.registryClient(), Registered: serve.Registered(models),
		Drift: o.drift.on && o.drift.writeback, Interval: o.drift.report, Webhook: o.drift.webhook,
		Instance: serve.InstanceName(ln), Logger: log})
	if l := wb.Listener(); l != nil {
		opts = append(opts, serve.WithDriftListener(l))
	}
	s := serve.New(opts...)
	defer s.Close()
	defer wb.Start(s)() // stops after the server has stopped serving
	lo := o.batching.threads
	lo.Logger = log
	return s.ServeModels(ctx, ln, models, serve.Loading{Poll: o.scoring.poll, Load: lo, Started: started,
		Resolver: func() (serve.Resolver, error) { return newResolver(&o.source, log) }})
}
