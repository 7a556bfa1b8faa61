package writeback

import (
	"log/slog"
	"net/http"
	"time"
)

// Option configures a [Writer].
type Option func(*options)

type options struct {
	experiment string
	instance   string
	webhook    string
	httpClient *http.Client
	logger     *slog.Logger
	queue      int
	timeout    time.Duration
}

func defaults() options {
	return options{
		experiment: "berth-monitoring",
		httpClient: &http.Client{Timeout: 10 * time.Second},
		logger:     slog.New(slog.DiscardHandler),
		queue:      256,
		timeout:    30 * time.Second,
	}
}

// WithExperiment names the experiment that holds the monitoring runs; it
// is created when missing. Default: "berth-monitoring".
func WithExperiment(name string) Option { return func(o *options) { o.experiment = name } }

// WithWebhook has each change of a model version's drift status POSTed
// as JSON ([Event]) to url. Failures are logged, never retried. Default:
// none.
func WithWebhook(url string) Option { return func(o *options) { o.webhook = url } }

// WithHTTPClient sets the client that calls the webhook. Default: one
// with a 10s timeout.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

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
