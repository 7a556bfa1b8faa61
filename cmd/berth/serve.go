package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/drift/writeback"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
	"github.com/berthml/berth/internal/httpguard"
	"github.com/berthml/berth/internal/httpserve"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/serve"
)

// servingGCPercent is berth serve's GOGC unless the environment sets one.
const servingGCPercent = 400

// started is when the process began, for the start-to-ready figure.
var started = time.Now()

type serveOptions struct {
	host, port   string
	defaultModel string
	ortLib       string
	token        tokenValue
	bodyLimit    byteSize
	bodyTimeout  time.Duration
	respLimit    sizeOrOff
	allowedHosts []string
	allowLocal   bool
	timeout      time.Duration
	shutdown     time.Duration
	accessLog    bool
	registryURI  string
	registryTok  string
	cacheDir     string
	poll         time.Duration
	drift        bool
	driftRows    int
	driftEvery   time.Duration
	driftTh      drift.Thresholds
	driftPersist int
	writeback    bool
	webhook      string
	report       time.Duration
	logRequests  string
	logSample    float64
	logMaxSize   byteSize
	batch        serve.BatchConfig
	modelBatch   []string
	maxRuns      int
	threads      flavors.LoadOptions
}

func newServeCmd(g *globalOptions) *cobra.Command {
	o := &serveOptions{bodyLimit: 100 << 20, respLimit: serve.DefaultResponseLimit, logMaxSize: 100 << 20, driftTh: drift.DefaultThresholds()}
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
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "127.0.0.1", "address to listen on")
	f.StringVarP(&o.port, "port", "p", "8080", "port to listen on")
	f.StringVar(&o.defaultModel, "default", "", "model that /invocations scores (default: the first)")
	f.StringVar(&o.ortLib, "ort-lib", "", "path to libonnxruntime.so (default: the cache that \"make ort\" fills)")
	f.Var(&o.token, "token", "require this bearer token on scoring, model and drift routes (not empty; health, /version, /v2 and /metrics stay open)")
	f.Var(&o.bodyLimit, "body-limit", "largest request body accepted (e.g. 100MiB, 1GiB)")
	f.DurationVar(&o.bodyTimeout, "body-timeout", httpguard.DefaultBodyTimeout, "answer 408 to a request whose body has not arrived after this (0 disables)")
	f.Var(&o.respLimit, "response-limit", "largest scoring response sent; a larger one is answered 413 (0 disables)")
	f.StringSliceVar(&o.allowedHosts, "allowed-hosts", nil, "Host header values accepted, against DNS rebinding (comma list or repeated; * for any; default: the loopback names when --host is a loopback address, else any)")
	f.BoolVar(&o.allowLocal, "allow-local-sources", false, allowLocalUsage)
	f.DurationVar(&o.timeout, "timeout", 60*time.Second, "answer 504 to a request still running after this (0 disables)")
	f.DurationVar(&o.shutdown, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long to wait for requests in flight")
	f.BoolVar(&o.accessLog, "access-log", false, "log one line per request (in --log-format)")
	f.StringVar(&o.registryURI, "registry-uri", "", "registry that models:/ URIs are resolved against (an MLflow-compatible server)")
	f.StringVar(&o.registryTok, "registry-token", "", "bearer token for the registry")
	f.StringVar(&o.cacheDir, "cache-dir", "", "where models downloaded from the registry are kept (default: the user cache dir)/berth/models")
	f.BoolVar(&o.drift, "drift", true, "compare the inputs and outputs of models that have a "+drift.FileName+" with it, window by window")
	f.IntVar(&o.driftRows, "drift-window-rows", drift.DefaultWindowRows, "close a drift window after this many rows")
	f.DurationVar(&o.driftEvery, "drift-window-time", drift.DefaultWindowTime, "close a drift window after this long (0: by rows only)")
	thresholdFlags(f, &o.driftTh, "drift-")
	f.IntVar(&o.driftPersist, "drift-persistence", drift.DefaultPersistence, "a model's drift status is drift once this many consecutive windows drifted (a drifting window short of it warns)")
	f.BoolVar(&o.writeback, "drift-writeback", true, "log each closed drift window of a models:/ model to a monitoring run on the registry and tag its version with the drift status")
	f.DurationVar(&o.report, "report-interval", time.Minute, "log request rate, latency and errors of models:/ models to their monitoring run every this long (0: off)")
	f.StringVar(&o.webhook, "drift-webhook", "", "POST a JSON event to this URL when a models:/ model's drift status changes (needs --drift-writeback)")
	f.StringVar(&o.logRequests, "log-requests", "", "append a sample of scored requests, one JSON line per row with its inputs and outputs, to this file (berth drift report --current reads it)")
	f.Float64Var(&o.logSample, "log-requests-sample", 1, "share of requests --log-requests writes (0 to 1)")
	f.Var(&o.logMaxSize, "log-requests-max-size", "rotate the --log-requests file to FILE.1 at this size (0: never)")
	f.IntVar(&o.batch.MaxBatchSize, "max-batch-size", 0, "dynamic batching: the most rows one model run takes (0: off); requests arriving together are concatenated, run once and split back")
	f.DurationVar(&o.batch.MaxQueueDelay, "max-queue-delay", 2*time.Millisecond, "dynamic batching: how long a request may wait for others to join its batch")
	f.IntVar(&o.batch.MaxQueueSize, "max-queue-size", 0, "dynamic batching: requests that may wait before the next is answered 503 with Retry-After (0: 64 × --max-batch-size)")
	f.StringArrayVar(&o.modelBatch, "batch", nil, "per-model batching, NAME=SIZE[/DELAY] or NAME=off (repeatable; overrides --max-batch-size and --max-queue-delay)")
	f.IntVar(&o.maxRuns, "max-concurrent-runs", 0, "model runs in progress at once, per model (0: one per CPU with batching, no limit without)")
	f.IntVar(&o.threads.IntraOpThreads, "intra-op-threads", 0, "ONNX Runtime threads within an operator, for every model (0: the model's onnx_session_options, else 1)")
	f.IntVar(&o.threads.InterOpThreads, "inter-op-threads", 0, "ONNX Runtime threads across operators, for every model (0: the model's setting)")
	f.DurationVar(&o.poll, "poll-interval", 10*time.Second, "how often models:/ aliases, stages and latest are checked for a new version (0: never)")
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
	if o.token.set && o.token.value == "" {
		return fmt.Errorf("--token (or BERTH_TOKEN) is empty, which would leave the scoring routes open: give a token, or leave it out to serve without one")
	}
	if strings.ContainsFunc(o.token.value, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("--token has blanks or control characters, which an Authorization header cannot carry")
	}
	for _, ma := range models {
		if err := checkModelDir(ma); err != nil {
			return err
		}
	}
	if o.defaultModel != "" && !slices.ContainsFunc(models, func(m modelArg) bool { return m.name == o.defaultModel }) {
		return fmt.Errorf("--default %q names none of the models given", o.defaultModel)
	}
	if err := initORT(o.ortLib); err != nil {
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
		serve.WithBodyLimit(int64(o.bodyLimit)),
		serve.WithBodyTimeout(o.bodyTimeout),
		serve.WithResponseLimit(int64(o.respLimit)),
		serve.WithAllowedHosts(allowedHosts(o.allowedHosts, o.host)),
		serve.WithTimeout(o.timeout),
		serve.WithShutdownTimeout(o.shutdown),
		serve.WithToken(o.token.value),
		serve.WithDefaultModel(o.defaultModel),
		serve.WithDrift(o.drift),
		serve.WithDriftOptions(drift.WithWindowRows(o.driftRows), drift.WithWindowTime(o.driftEvery), drift.WithThresholds(o.driftTh),
			drift.WithPersistence(o.driftPersist)),
		serve.WithBatching(o.batch),
		serve.WithMaxConcurrentRuns(o.maxRuns),
	}
	perModel, err := parseModelBatch(o.modelBatch, o.batch, models)
	if err != nil {
		return err
	}
	for name, c := range perModel {
		opts = append(opts, serve.WithModelBatching(name, c))
	}
	if o.accessLog {
		opts = append(opts, serve.WithAccessLog(log))
	}
	if o.logRequests != "" {
		if o.logSample < 0 || o.logSample > 1 {
			return fmt.Errorf("--log-requests-sample %v is not between 0 and 1", o.logSample)
		}
		rl, err := serve.OpenRequestLog(o.logRequests, serve.WithSampleRate(o.logSample),
			serve.WithMaxBytes(int64(o.logMaxSize)), serve.WithRequestLogLogger(log))
		if err != nil {
			return err
		}
		defer rl.Close() // after the server has shut down
		opts = append(opts, serve.WithRequestLog(rl))
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, o.port))
	if err != nil {
		return fmt.Errorf("%w (is another server on that port? give --port)", err)
	}
	wb := newRegistryWriteback(o, models, instanceName(ln), log)
	if wb.listen != nil {
		opts = append(opts, serve.WithDriftListener(wb.listen))
	}
	s := serve.New(opts...)
	defer s.Close()

	ctx, cancelCause := context.WithCancelCause(ctx)
	defer cancelCause(nil)
	// A model that fails to load ends the server before it was ready:
	// no "shutting down: finishing requests in flight".
	cancel := func() { cancelCause(httpserve.ErrStartFailed) }
	if wb.writer != nil {
		defer wb.start(s, o.report, log)() // stops after the server has stopped serving
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()

	var resolver *modeluri.Resolver
	for _, ma := range models {
		var m *serve.Model
		if modeluri.IsModelURI(ma.source) {
			if resolver == nil {
				if resolver, err = newResolver(&sourceOptions{registryOptions: registryOptions{uri: o.registryURI, token: o.registryTok},
					cacheDir: o.cacheDir, allowLocal: o.allowLocal}, log); err != nil {
					cancel()
					<-errc
					return err
				}
			}
			m, err = loadFromRegistry(ctx, s, resolver, ma, o.poll, o.threads, log)
		} else {
			m, err = serve.LoadModelWith(ctx, ma.name, "1", ma.source, log, o.threads)
		}
		if err != nil {
			cancel()
			<-errc
			return err
		}
		s.Add(m)
	}
	s.MarkReady()
	log.Info("ready", "addr", "http://"+ln.Addr().String(), "models", len(models),
		"start_to_ready", time.Since(started).Round(time.Microsecond))
	return <-errc
}

// registryWriteback is what berth serve writes back to the registry for
// the models it serves from there.
type registryWriteback struct {
	writer     *writeback.Writer // nil: nothing is written back
	registered map[string]string // served name -> registered name
	// listen queues the drift windows of registered models; nil when
	// drift windows are not written back.
	listen func(model, version string, w drift.WindowResult)
}

// newRegistryWriteback sets up the writer that records the drift windows
// (--drift with --drift-writeback) and serving reports (--report-interval)
// of models:/ models on the registry. Nothing is written back when no
// model comes from the registry (a directory has no registered version to
// tag) or both are off.
func newRegistryWriteback(o *serveOptions, models []modelArg, instance string, log *slog.Logger) registryWriteback {
	wb := registryWriteback{registered: map[string]string{}}
	for _, ma := range models {
		if u, err := modeluri.Parse(ma.source); err == nil && modeluri.IsModelURI(ma.source) {
			wb.registered[ma.name] = u.Name
		}
	}
	driftOn := o.drift && o.writeback
	if o.registryURI == "" || len(wb.registered) == 0 || (!driftOn && o.report <= 0) {
		return wb
	}
	wopts := []writeback.Option{writeback.WithLogger(log), writeback.WithInstance(instance)}
	if o.webhook != "" {
		wopts = append(wopts, writeback.WithWebhook(o.webhook))
	}
	wr := writeback.New(&mlflowrest.Client{BaseURL: o.registryURI, Token: o.registryTok}, wopts...)
	wb.writer = wr
	if driftOn {
		wb.listen = func(model, version string, w drift.WindowResult) {
			if name, ok := wb.registered[model]; ok {
				wr.Enqueue(name, version, w)
			}
		}
	}
	return wb
}

// start runs the writer and, every interval (0: never), the serving
// reports. The function it returns, called once the server has stopped
// serving, reports the last partial interval, writes what is still queued
// and marks this process's monitoring runs FINISHED, within 10 s.
func (wb registryWriteback) start(s *serve.Server, interval time.Duration, log *slog.Logger) func() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { wb.writer.Run(ctx) })
	var rep *servingReporter
	if interval > 0 {
		rep = newServingReporter(s, wb.writer.EnqueueServing, wb.registered, time.Now())
		wg.Go(func() { rep.run(ctx, interval) })
	}
	return func() {
		cancel()
		wg.Wait()
		if rep != nil {
			rep.report(time.Now())
		}
		flush, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if n := wb.writer.Drain(flush); n > 0 {
			log.Warn("write-back: left unwritten at shutdown", "queued", n)
		}
		if err := wb.writer.Finish(flush); err != nil {
			log.Warn("write-back: finishing the monitoring runs", "error", err)
		}
	}
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

// servingReporter turns what the server served (its Usage) into serving
// reports of registered versions, one per version per interval.
type servingReporter struct {
	s          *serve.Server
	enqueue    func(model, version string, w writeback.ServingWindow) bool // Writer.EnqueueServing
	registered map[string]string                                           // served name -> registered name
	last       time.Time                                                   // the previous report's time
	prev       map[versionKey]*reported
}

// versionKey is a registered model version.
type versionKey struct{ name, version string }

// reported is what was last reported of a registered version.
type reported struct {
	usage serve.Usage
	step  int64
}

func newServingReporter(s *serve.Server, enqueue func(model, version string, w writeback.ServingWindow) bool,
	registered map[string]string, start time.Time) *servingReporter {
	return &servingReporter{s: s, enqueue: enqueue, registered: registered, last: start, prev: map[versionKey]*reported{}}
}

// run reports every interval until ctx is done.
func (r *servingReporter) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.report(now)
		}
	}
}

// report queues what each registered version served since the previous
// report. A version is reported from its first request on, idle intervals
// included; one no longer served only while it still answers. Versions
// served under several names are summed.
func (r *servingReporter) report(now time.Time) {
	served := map[versionKey]bool{}
	for _, m := range r.s.Models() {
		if name, ok := r.registered[m.Name]; ok {
			served[versionKey{name, m.Version}] = true
		}
	}
	total := map[versionKey]serve.Usage{}
	for _, u := range r.s.Usage() {
		if name, ok := r.registered[u.Model]; ok {
			k := versionKey{name, u.Version}
			total[k] = total[k].Add(u)
		}
	}
	for k, u := range total {
		p := r.prev[k]
		if p == nil {
			p = &reported{}
			r.prev[k] = p
		}
		d := u.Since(p.usage)
		if u.Requests > 0 && (served[k] || d.Requests > 0) {
			p.step++
			r.enqueue(k.name, k.version, servingWindow(d, p.step, r.last, now))
		}
		p.usage = u
	}
	r.last = now
}

// servingWindow is the serving report of d, what a version served from
// start to end.
func servingWindow(d serve.Usage, step int64, start, end time.Time) writeback.ServingWindow {
	w := writeback.ServingWindow{Step: step, Start: start, End: end, Requests: d.Requests,
		ClientErrors: d.ClientErrors, ServerErrors: d.ServerErrors,
		LatencyMean: math.NaN(), LatencyP50: math.NaN(), LatencyP95: math.NaN(), LatencyP99: math.NaN()}
	if d.Count > 0 {
		w.LatencyMean = d.Sum / float64(d.Count)
		w.LatencyP50, w.LatencyP95, w.LatencyP99 = d.Quantile(0.5), d.Quantile(0.95), d.Quantile(0.99)
	}
	return w
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
		m, err := serve.LoadModelWith(ctx, ma.name, v.Version, dir, log, lo)
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

// allowedHosts is --allowed-hosts, or by default the loopback names when
// the server listens on a loopback address (nil, no check, otherwise).
func allowedHosts(flag []string, bindHost string) []string {
	if len(flag) > 0 {
		return flag
	}
	return httpguard.DefaultAllowedHosts(bindHost)
}

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
