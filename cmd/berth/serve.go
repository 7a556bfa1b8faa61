package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
	"github.com/berthml/berth/internal/httpserve"
	"github.com/berthml/berth/modeluri"
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
	token        tokenValue
	bodyLimit    byteSize
	respLimit    sizeOrOff
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

// check refuses a token that would leave the routes open or that a header
// cannot carry.
func (o *scoringOptions) check() error {
	if o.token.set && o.token.value == "" {
		return fmt.Errorf("--token (or BERTH_TOKEN) is empty, which would leave the scoring routes open: give a token, or leave it out to serve without one")
	}
	if strings.ContainsFunc(o.token.value, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("--token has blanks or control characters, which an Authorization header cannot carry")
	}
	return nil
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
	maxSize byteSize
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
func (o *batchingOptions) options(models []modelArg) ([]serve.Option, error) {
	perModel, err := parseModelBatch(o.modelBatch, o.batch, models)
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

// modelArg is one [NAME=]MODEL argument.
type modelArg struct{ name, source string }

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func parseModelArgs(args []string) ([]modelArg, error) {
	seen := map[string]bool{}
	out := make([]modelArg, 0, len(args))
	for _, a := range args {
		name, src, ok := strings.Cut(a, "=")
		if !ok {
			src = a
			name = filepath.Base(filepath.Clean(a))
			if u, err := modeluri.Parse(a); err == nil {
				name = u.Name
			}
		}
		if src == "" {
			return nil, fmt.Errorf("model argument %q: no model after %q", a, name+"=")
		}
		if !validName.MatchString(name) {
			return nil, fmt.Errorf("model argument %q: name %q must be letters, digits, '.', '_' or '-' (give NAME=MODEL)", a, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("model name %q given twice (give NAME=MODEL to tell them apart)", name)
		}
		seen[name] = true
		out = append(out, modelArg{name, src})
	}
	return out, nil
}

// runServe listens first, so liveness answers at once, then loads and warms
// up every model, and only then reports ready.
func runServe(ctx context.Context, o *serveOptions, args []string, log *slog.Logger) error {
	models, err := parseModelArgs(args)
	if err != nil {
		return err
	}
	if err := o.scoring.check(); err != nil {
		return err
	}
	for _, ma := range models {
		if err := checkModelDir(ma); err != nil {
			return err
		}
	}
	if o.scoring.defaultModel != "" && !slices.ContainsFunc(models, func(m modelArg) bool { return m.name == o.scoring.defaultModel }) {
		return fmt.Errorf("--default %q names none of the models given", o.scoring.defaultModel)
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
		serve.WithToken(o.scoring.token.value),
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
	wb := servingreport.New(servingreport.Config{Registry: o.source.registryClient(), Registered: registered(models),
		Drift: o.drift.on && o.drift.writeback, Interval: o.drift.report, Webhook: o.drift.webhook,
		Instance: instanceName(ln), Logger: log})
	if l := wb.Listener(); l != nil {
		opts = append(opts, serve.WithDriftListener(l))
	}
	s := serve.New(opts...)
	defer s.Close()
	defer wb.Start(s)() // stops after the server has stopped serving
	return serveModels(ctx, s, ln, models, o, log)
}

// serveModels serves on ln while it loads models, then marks the server
// ready; it returns when the server stops.
func serveModels(ctx context.Context, s *serve.Server, ln net.Listener, models []modelArg, o *serveOptions, log *slog.Logger) error {
	ctx, cancelCause := context.WithCancelCause(ctx)
	defer cancelCause(nil)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()
	fail := func(err error) error {
		// A model that fails to load ends the server before it was ready:
		// no "shutting down: finishing requests in flight".
		cancelCause(httpserve.ErrStartFailed)
		<-errc
		return err
	}
	var resolver *modeluri.Resolver
	for _, ma := range models {
		var m *serve.Model
		var err error
		if modeluri.IsModelURI(ma.source) {
			if resolver == nil {
				if resolver, err = newResolver(&o.source, log); err != nil {
					return fail(err)
				}
			}
			m, err = loadFromRegistry(ctx, s, resolver, ma, o.scoring.poll, o.batching.threads, log)
		} else {
			lo := o.batching.threads
			lo.Logger = log
			m, err = serve.LoadModelWith(ctx, ma.name, "1", ma.source, lo)
		}
		if err != nil {
			return fail(err)
		}
		s.Add(m)
	}
	s.MarkReady()
	log.Info("ready", "addr", "http://"+ln.Addr().String(), "models", len(models),
		"start_to_ready", time.Since(started).Round(time.Microsecond))
	return <-errc
}

// registered maps the served name of each models:/ model to its
// registered name.
func registered(models []modelArg) map[string]string {
	out := map[string]string{}
	for _, ma := range models {
		if u, err := modeluri.Parse(ma.source); err == nil && modeluri.IsModelURI(ma.source) {
			out[ma.name] = u.Name
		}
	}
	return out
}

// instanceName names this server in serving reports: host name and
// listening port.
func instanceName(ln net.Listener) string {
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	port := ""
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		port = strconv.Itoa(a.Port)
	}
	return host + ":" + port
}

const allowLocalUsage = "load models:/ versions whose files are on this machine's file system (file:// or absolute paths) rather than in the registry's artifact store"

// downloadProgress logs a model download as one line once its last file is
// in (each file only at debug level: a model has eight or so, and a line
// per file was most of what `make demo` printed).
func downloadProgress(log *slog.Logger) func(modeluri.Progress) {
	return func(p modeluri.Progress) {
		log.Debug("downloaded file", "file", p.File, "files", fmt.Sprintf("%d/%d", p.Files, p.TotalFiles),
			"bytes", fmt.Sprintf("%d/%d", p.Bytes, p.TotalBytes))
		if p.Files == p.TotalFiles {
			log.Info("downloaded model", "files", p.TotalFiles, "size", mb(p.TotalBytes))
		}
	}
}

// loadFromRegistry resolves a models:/ argument, downloads and loads that
// version, and, for aliases, stages and latest, watches for a new version
// to swap in.
func loadFromRegistry(ctx context.Context, s *serve.Server, r *modeluri.Resolver, ma modelArg, poll time.Duration, lo flavors.LoadOptions, log *slog.Logger) (*serve.Model, error) {
	u, err := modeluri.Parse(ma.source)
	if err != nil {
		return nil, err
	}
	load := func(ctx context.Context, v *modeluri.Version) (*serve.Model, error) {
		dir, err := r.Download(ctx, v)
		if err != nil {
			return nil, err
		}
		lo.Logger = log
		m, err := serve.LoadModelWith(ctx, ma.name, v.Version, dir, lo)
		if err != nil {
			return nil, err
		}
		m.Source = u.String()
		return m, nil
	}
	v, err := r.Resolve(ctx, u)
	if err != nil {
		return nil, err
	}
	m, err := load(ctx, v)
	if err != nil {
		return nil, err
	}
	if u.Kind != modeluri.KindVersion && poll > 0 {
		go r.Watch(ctx, u, poll, v.Version, func(ctx context.Context, v *modeluri.Version) error {
			next, err := load(ctx, v)
			if err != nil {
				return err
			}
			s.Add(next)
			return nil
		}, func(err error) { log.Warn("watching the registry", "model", ma.name, "uri", u.String(), "error", err) })
	}
	return m, nil
}

// initORT loads the ONNX Runtime library from --ort-lib, else from the
// cache.
func initORT(path string) error {
	if path == "" {
		p, err := onnx.DefaultLibraryPath()
		if err != nil {
			return err
		}
		path = p
	}
	return onnx.Init(path)
}

// byteSize is a flag value of bytes with an optional KiB/MiB/GiB (or
// KB/MB/GB) suffix.
type byteSize int64

// String writes the size as Set reads it, in the largest binary unit that
// divides it (100MiB), for --help's defaults.
func (b *byteSize) String() string {
	if *b == 0 {
		return "0"
	}
	return serve.FormatBytes(int64(*b))
}
func (b *byteSize) Type() string { return "size" }
func (b *byteSize) Set(s string) error {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("size %q must be a positive number of bytes, optionally with KiB, MiB or GiB", s)
	}
	*b = byteSize(n * mult)
	return nil
}

// sizeOrOff is a byteSize that may be 0, for limits that 0 turns off.
type sizeOrOff byteSize

func (b *sizeOrOff) String() string { return (*byteSize)(b).String() }
func (b *sizeOrOff) Type() string   { return "size" }
func (b *sizeOrOff) Set(s string) error {
	if strings.TrimSpace(s) == "0" {
		*b = 0
		return nil
	}
	return (*byteSize)(b).Set(s)
}

// tokenValue is a flag value that remembers being set, so that an empty
// --token ” or BERTH_TOKEN= is told apart from no token at all.
type tokenValue struct {
	value string
	set   bool
}

func (t *tokenValue) String() string     { return t.value }
func (t *tokenValue) Type() string       { return "string" }
func (t *tokenValue) Set(v string) error { t.value, t.set = v, true; return nil }

// checkModelDir says plainly when a model argument that is not a models:/
// URI names nothing on disk.
func checkModelDir(ma modelArg) error {
	if modeluri.IsModelURI(ma.source) {
		return nil
	}
	if _, err := os.Stat(ma.source); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("model %q: %s does not exist (give a model directory with an MLmodel file, or a models:/ URI)", ma.name, ma.source)
	}
	return nil
}

// parseModelBatch reads --batch NAME=SIZE[/DELAY] and NAME=off; a delay
// left out is --max-queue-delay's.
func parseModelBatch(specs []string, def serve.BatchConfig, models []modelArg) (map[string]serve.BatchConfig, error) {
	out := map[string]serve.BatchConfig{}
	for _, spec := range specs {
		name, v, ok := strings.Cut(spec, "=")
		if !ok || name == "" || v == "" {
			return nil, fmt.Errorf("--batch %q: want NAME=SIZE[/DELAY] or NAME=off", spec)
		}
		if !slices.ContainsFunc(models, func(m modelArg) bool { return m.name == name }) {
			return nil, fmt.Errorf("--batch %q: no model is served as %q", spec, name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--batch: model %q given twice", name)
		}
		c := def
		if v == "off" {
			c.MaxBatchSize = 0
			out[name] = c
			continue
		}
		size, delay, hasDelay := strings.Cut(v, "/")
		n, err := strconv.Atoi(size)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("--batch %q: %q is not a batch size", spec, size)
		}
		c.MaxBatchSize = n
		if hasDelay {
			d, err := time.ParseDuration(delay)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("--batch %q: %q is not a duration (e.g. 2ms)", spec, delay)
			}
			c.MaxQueueDelay = d
		}
		out[name] = c
	}
	return out, nil
}
