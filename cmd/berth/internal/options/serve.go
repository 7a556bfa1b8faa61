package options

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/drift/writeback"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/cliflag"
	"github.com/berthml/berth/serve"
)

// Scoring are berth serve's own server flags: which model /invocations
// scores, the token, limits and the registry poll.
type Scoring struct {
	DefaultModel  string
	Token         cliflag.Token
	BodyLimit     cliflag.ByteSize
	BodyBudget    cliflag.ByteSize
	ResponseLimit cliflag.SizeOrOff
	Timeout       time.Duration
	Poll          time.Duration
}

// AddFlags adds berth serve's scoring server flags to cmd.
func (o *Scoring) AddFlags(cmd *cobra.Command) {
	o.BodyLimit, o.BodyBudget, o.ResponseLimit = 100<<20, serve.DefaultBodyBudget, serve.DefaultResponseLimit
	f := cmd.Flags()
	f.StringVar(&o.DefaultModel, "default", "", "model that /invocations scores (default: the first)")
	f.Var(&o.Token, "token", "require this bearer token on scoring, model and drift routes (not empty; health, /version, /v2 and /metrics stay open)")
	f.Var(&o.BodyLimit, "body-limit", "largest request body accepted (e.g. 100MiB, 1GiB)")
	f.Var(&o.BodyBudget, "body-budget", "the memory request bodies may hold at once, read and decoded (about 32 bytes per comma of JSON or CSV); a request past it gets 503 with Retry-After (0: no bound)")
	f.Var(&o.ResponseLimit, "response-limit", "largest scoring response sent; a larger one is answered 413 (0 disables)")
	f.DurationVar(&o.Timeout, "timeout", 60*time.Second, "answer 504 to a request still running after this (0 disables)")
	f.DurationVar(&o.Poll, "poll-interval", 10*time.Second, "how often models:/ aliases, stages and latest are checked for a new version (0: never)")
}

// Options returns the server's options for the limits, the token and the
// default model (the token must have been checked).
func (o *Scoring) Options() []serve.Option {
	return []serve.Option{
		serve.WithBodyLimit(int64(o.BodyLimit)),
		serve.WithBodyBudget(int64(o.BodyBudget)),
		serve.WithResponseLimit(int64(o.ResponseLimit)),
		serve.WithTimeout(o.Timeout),
		serve.WithToken(o.Token.Value),
		serve.WithDefaultModel(o.DefaultModel),
	}
}

// Drift are berth serve's drift monitoring and write-back flags.
type Drift struct {
	On         bool
	WindowRows int
	WindowTime time.Duration
	Thresholds drift.Thresholds
	Persist    int
	Writeback  bool
	Webhook    string
	Report     time.Duration
	// Period and MergeGrace: see --drift-period, --drift-merge-grace.
	Period     time.Duration
	MergeGrace time.Duration
}

// AddFlags adds the drift and write-back flags to cmd.
func (o *Drift) AddFlags(cmd *cobra.Command) {
	o.Thresholds = drift.DefaultThresholds()
	f := cmd.Flags()
	f.BoolVar(&o.On, "drift", true, "compare the inputs and outputs of models that have a "+drift.FileName+" with it, window by window")
	f.IntVar(&o.WindowRows, "drift-window-rows", drift.DefaultWindowRows, "close a drift window after this many rows")
	f.DurationVar(&o.WindowTime, "drift-window-time", drift.DefaultWindowTime, "close a drift window after this long (0: by rows only)")
	AddThresholdFlags(cmd, &o.Thresholds, "drift-")
	f.IntVar(&o.Persist, "drift-persistence", drift.DefaultPersistence, "a model's drift status is drift once this many consecutive windows drifted (a drifting window short of it warns)")
	f.BoolVar(&o.Writeback, "drift-writeback", true, "log each closed drift window of a models:/ model to a monitoring run on the registry and tag its version with the drift status")
	f.DurationVar(&o.Report, "report-interval", time.Minute, "log request rate, latency and errors of models:/ models to their monitoring run every this long (0: off)")
	f.DurationVar(&o.Period, "drift-period", drift.DefaultPeriod, "merge the drift of a models:/ version's replicas over wall-clock periods this long, aligned on the Unix clock (every 5m: :00, :05, …): each replica uploads its counts, the sum is judged once and tags the version (0: each replica tags the version with its own windows)")
	f.DurationVar(&o.MergeGrace, "drift-merge-grace", writeback.DefaultMergeGrace, "wait this long after a --drift-period ends for the other replicas' counts before merging it (a later replica's counts still update the verdict)")
	f.StringVar(&o.Webhook, "drift-webhook", "", "POST a JSON event to this URL when a models:/ model's drift status changes (needs --drift-writeback)")
}

// Options returns the server's drift options.
func (o *Drift) Options() []serve.Option {
	return []serve.Option{serve.WithDrift(o.On), serve.WithDriftOptions(drift.WithWindowRows(o.WindowRows), drift.WithWindowTime(o.WindowTime),
		drift.WithThresholds(o.Thresholds), drift.WithPersistence(o.Persist))}
}

// AddThresholdFlags adds the drift threshold flags to cmd, named with
// prefix (but --drift-share on every command), that set th (whose values
// are the defaults).
func AddThresholdFlags(cmd *cobra.Command, th *drift.Thresholds, prefix string) {
	f := cmd.Flags()
	f.Float64Var(&th.PSIWarning, prefix+"psi-warning", th.PSIWarning, "PSI (on bins merged to the sample size) at or above this warns (0 disables)")
	f.Float64Var(&th.PSIDrift, prefix+"psi-drift", th.PSIDrift, "from --"+prefix+"js-min-count values, PSI at or above this is a change large enough to drift (0 disables)")
	f.Float64Var(&th.KSPValue, prefix+"ks-pvalue", th.KSPValue, "false discovery rate q: a KS p-value, Benjamini-Hochberg adjusted over the window's features, below this is significant (0 disables)")
	f.Float64Var(&th.JSDistance, prefix+"js-distance", th.JSDistance, "from --"+prefix+"js-min-count values, a JS distance at or above this is a change large enough to drift (0 disables)")
	f.Int64Var(&th.JSMinCount, prefix+"js-min-count", th.JSMinCount, "values both sides need before a significant feature must also move by a distance to drift")
	f.Float64Var(&th.Chi2PValue, prefix+"chi2-pvalue", th.Chi2PValue, "false discovery rate q for chi-squared p-values, adjusted with the KS ones (0 disables)")
	f.Float64Var(&th.Wasserstein, prefix+"wasserstein", th.Wasserstein, "from --"+prefix+"js-min-count values, a Wasserstein distance over the reference's std at or above this is a change large enough to drift (0 disables)")
	f.Float64Var(&th.DriftShare, "drift-share", th.DriftShare, "share of drifted input features at which the model drifts (0: any one)")
}

// RequestLog are the --log-requests flags.
type RequestLog struct {
	Path    string
	Sample  float64
	MaxSize cliflag.ByteSize
}

// AddFlags adds the --log-requests flags to cmd.
func (o *RequestLog) AddFlags(cmd *cobra.Command) {
	o.MaxSize = 100 << 20
	f := cmd.Flags()
	f.StringVar(&o.Path, "log-requests", "", "append a sample of scored requests, one JSON line per row with its inputs and outputs, to this file (berth drift report --current reads it)")
	f.Float64Var(&o.Sample, "log-requests-sample", 1, "share of requests --log-requests writes (0 to 1)")
	f.Var(&o.MaxSize, "log-requests-max-size", "rotate the --log-requests file to FILE.1 at this size (0: never)")
}

// Open opens the request log, or returns nil when --log-requests is not
// given.
func (o *RequestLog) Open(log *slog.Logger) (*serve.RequestLog, error) {
	if o.Path == "" {
		return nil, nil
	}
	if o.Sample < 0 || o.Sample > 1 {
		return nil, fmt.Errorf("--log-requests-sample %v is not between 0 and 1", o.Sample)
	}
	return serve.OpenRequestLog(o.Path, serve.RequestLogOptions{SampleRate: o.Sample, MaxBytes: int64(o.MaxSize), Logger: log})
}

// Batching are the dynamic batching and model run flags.
type Batching struct {
	Batch      serve.BatchConfig
	ModelBatch []string
	MaxRuns    int
	Threads    flavors.LoadOptions
}

// AddFlags adds the batching and thread flags to cmd.
func (o *Batching) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&o.Batch.MaxBatchSize, "max-batch-size", 0, "dynamic batching: the most rows one model run takes (0: off); requests arriving together are concatenated, run once and split back")
	f.DurationVar(&o.Batch.MaxQueueDelay, "max-queue-delay", 2*time.Millisecond, "dynamic batching: how long a request may wait for others to join its batch")
	f.IntVar(&o.Batch.MaxQueueSize, "max-queue-size", 0, "dynamic batching: requests that may wait before the next is answered 503 with Retry-After (0: 64 × --max-batch-size)")
	f.StringArrayVar(&o.ModelBatch, "batch", nil, "per-model batching, NAME=SIZE[/DELAY] or NAME=off (repeatable; overrides --max-batch-size and --max-queue-delay)")
	f.IntVar(&o.MaxRuns, "max-concurrent-runs", 0, "model runs in progress at once, per model (0: one per CPU with batching, no limit without)")
	f.IntVar(&o.Threads.IntraOpThreads, "intra-op-threads", 0, "ONNX Runtime threads within an operator, for every model (0: the model's onnx_session_options, else 1)")
	f.IntVar(&o.Threads.InterOpThreads, "inter-op-threads", 0, "ONNX Runtime threads across operators, for every model (0: the model's setting)")
}

// Options returns the server's batching options for models.
func (o *Batching) Options(models []serve.ModelArg) ([]serve.Option, error) {
	perModel, err := serve.ParseModelBatch(o.ModelBatch, o.Batch, models)
	if err != nil {
		return nil, err
	}
	opts := []serve.Option{serve.WithBatching(o.Batch), serve.WithMaxConcurrentRuns(o.MaxRuns)}
	for name, c := range perModel {
		opts = append(opts, serve.WithModelBatching(name, c))
	}
	return opts, nil
}

// LoadOptions returns the thread settings every model loads with.
func (o *Batching) LoadOptions(log *slog.Logger) flavors.LoadOptions {
	lo := o.Threads
	lo.Logger = log
	return lo
}
