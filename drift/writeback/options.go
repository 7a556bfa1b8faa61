package writeback

import (
	"log/slog"
	"time"

	"github.com/berthml/berth/webhook"
)

// Option configures a [Writer].
type Option func(*options)

type options struct {
	experiment string
	instance   string
	webhook    string
	// webhookSecret signs deliveries; webhookPolicy and delivery
	// configure package webhook's Sender.
	webhookSecret string
	webhookPolicy webhook.Policy
	delivery      []webhook.Option
	logger        *slog.Logger
	queue         int
	timeout       time.Duration
	merge         bool
	grace         time.Duration
}

func defaults() options {
	return options{
		experiment: "berth-monitoring",
		// The URL comes from the operator's command line, not from an API
		// client, so http and private addresses are allowed unless
		// WithWebhookPolicy says otherwise.
		webhookPolicy: webhook.Policy{AllowHTTP: true, AllowPrivate: true},
		logger:        slog.New(slog.DiscardHandler),
		queue:         256,
		timeout:       30 * time.Second,
	}
}

// WithExperiment names the experiment that holds the monitoring runs; it
// is created when missing. Default: "berth-monitoring".
func WithExperiment(name string) Option { return func(o *options) { o.experiment = name } }

// WithWebhook has each change of a model version's drift status POSTed
// as JSON ([Event]) to url through package webhook: MLflow's delivery
// headers, retries with backoff (honouring Retry-After) within the
// writer's timeout; a delivery that still fails is logged. Default: none.
func WithWebhook(url string) Option { return func(o *options) { o.webhook = url } }

// WithWebhookSecret signs the webhook's deliveries as MLflow signs its own
// (X-MLflow-Signature: v1,<base64 HMAC-SHA256>). Default: unsigned.
func WithWebhookSecret(secret string) Option { return func(o *options) { o.webhookSecret = secret } }

// WithWebhookPolicy sets which webhook URLs and addresses are allowed.
// Default: webhook.Policy{AllowHTTP: true, AllowPrivate: true}, since the
// URL is the operator's own.
func WithWebhookPolicy(p webhook.Policy) Option { return func(o *options) { o.webhookPolicy = p } }

// WithWebhookDelivery passes options (retries, backoff, timeout) to the
// webhook's Sender. Default: package webhook's.
func WithWebhookDelivery(opts ...webhook.Option) Option {
	return func(o *options) { o.delivery = append(o.delivery, opts...) }
}

// WithLogger sets where failures and dropped windows are logged.
// Default: discard.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithQueueSize bounds the windows waiting to be written by [Writer.Run];
// [Writer.Enqueue] drops a window when the queue is full. Default: 256.
func WithQueueSize(n int) Option { return func(o *options) { o.queue = max(n, 1) } }

// WithTimeout bounds the writing of one queued window by [Writer.Run].
// Default: 30s.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithInstance names the server (such as host:port): each Writer then
// writes to monitoring runs of its own (tagged [TagInstance] and
// [TagProcess]), so that the figures of replicas of one version, and of
// one server before and after a restart, stay apart; [Writer.Serving]
// names the instance in the version's berth.serving.instance tag.
// Default: none — one run per version, shared by every writer without an
// instance, and no such tags.
func WithInstance(name string) Option { return func(o *options) { o.instance = name } }

// WithMerge merges the drift of a version's replicas: the Writer uploads
// each period's counts ([Writer.EnqueuePeriod]) and, grace after the
// period's end, merges every replica's counts of it into the version's
// drift verdict ([Writer.Merge]); the version's drift tags then carry
// only merged verdicts, and [Writer.Window] tags this replica's own
// monitoring run instead. grace <= 0 means [DefaultMergeGrace]. Default:
// off — each window tags the version with the writer's own verdict.
func WithMerge(grace time.Duration) Option {
	return func(o *options) {
		o.merge, o.grace = true, grace
		if grace <= 0 {
			o.grace = DefaultMergeGrace
		}
	}
}
