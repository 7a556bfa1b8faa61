package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/webhook"
)

// webhookStore is what the webhook routes need of the store; sqlstore has
// it. A store without it answers the webhook routes 501.
type webhookStore interface {
	CreateWebhook(ctx context.Context, w webhook.Webhook) (*webhook.Webhook, error)
	GetWebhook(ctx context.Context, id string) (*webhook.Webhook, error)
	ListWebhooks(ctx context.Context, maxResults int, pageToken string) ([]webhook.Webhook, string, error)
	UpdateWebhook(ctx context.Context, id string, u webhook.Update) (*webhook.Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error
	ListWebhooksByEvent(ctx context.Context, ev webhook.Event) ([]webhook.Webhook, error)
}

// webhookConfig is the server's webhook options.
type webhookConfig struct {
	policy   webhook.Policy
	key      []byte
	delivery []webhook.Option
}

// WithWebhookPolicy sets which webhook URLs are accepted and which
// addresses deliveries may reach. Default: webhook.Policy{} (MLflow's:
// https only, public addresses only).
func WithWebhookPolicy(p webhook.Policy) Option { return func(o *options) { o.webhooks.policy = p } }

// WithWebhookKey sets the key webhook secrets are sealed with (AES-GCM,
// at least 16 bytes). Default: a random key per process, so that secrets
// stored by one run of the server cannot be used by the next (logged as a
// warning).
func WithWebhookKey(key []byte) Option { return func(o *options) { o.webhooks.key = key } }

// WithWebhookDelivery passes options to the webhook dispatcher (retries,
// backoff, queue size, workers). Default: webhook's defaults.
func WithWebhookDelivery(opts ...webhook.Option) Option {
	return func(o *options) { o.webhooks.delivery = append(o.webhooks.delivery, opts...) }
}

// hooks is the server's webhook state: nil when the store keeps none.
type hooks struct {
	store  webhookStore
	cipher *webhook.Cipher
	d      *webhook.Dispatcher
	policy webhook.Policy
	logger *slog.Logger
}

// newHooks starts the webhook dispatcher when the store keeps webhooks.
// A key that NewCipher refuses (berth server checks it first) is logged
// and replaced by a random one.
func (s *Server) newHooks() *hooks {
	ws, ok := s.store.(webhookStore)
	if !ok {
		return nil
	}
	h := &hooks{store: ws, policy: s.opts.webhooks.policy, logger: s.opts.logger}
	if len(s.opts.webhooks.key) == 0 {
		s.opts.logger.Warn("no webhook secret key set (berth server --webhook-secret-key or BERTH_WEBHOOK_SECRET_KEY): " +
			"webhook secrets stored now cannot be read after a restart")
		h.cipher = webhook.RandomCipher()
	} else {
		c, err := webhook.NewCipher(s.opts.webhooks.key)
		if err != nil {
			s.opts.logger.Error("webhook secret key refused; using a random one", "error", err)
			c = webhook.RandomCipher()
		}
		h.cipher = c
	}
	opts := []webhook.Option{webhook.WithPolicy(h.policy), webhook.WithLogger(s.opts.logger)}
	if q, ok := s.store.(webhook.Queue); ok {
		// Deliveries queued in the database: made at least once by any
		// replica on it, even if this one dies (docs/scale-out.md).
		opts = append(opts, webhook.WithQueue(q))
	}
	opts = append(opts, s.opts.webhooks.delivery...)
	h.d = webhook.NewDispatcher(h, opts...)
	if s.opts.registerer != nil {
		s.opts.registerer.MustRegister(webhookCollector{h.d})
	}
	return h
}

// webhookCollector exposes the dispatcher's counts (webhook.Stats, the
// plain struct the dispatcher keeps) as berth_webhook_* series.
type webhookCollector struct{ d *webhook.Dispatcher }

var (
	webhookDeliveriesDesc = prometheus.NewDesc("berth_webhook_deliveries_total",
		"Webhook deliveries finished, by outcome: delivered (answered below 400) or failed (after its retries).", []string{"outcome"}, nil)
	webhookRetriesDesc = prometheus.NewDesc("berth_webhook_retries_total",
		"Webhook delivery attempts after the first (connection errors, 429 and 5xx answers).", nil, nil)
	webhookDroppedDesc = prometheus.NewDesc("berth_webhook_dropped_total",
		"Webhook events and deliveries dropped because the delivery queue was full.", nil, nil)
	webhookPendingDesc = prometheus.NewDesc("berth_webhook_queue_length",
		"Webhook events and deliveries waiting in the delivery queue.", nil, nil)
)

func (webhookCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{webhookDeliveriesDesc, webhookRetriesDesc, webhookDroppedDesc, webhookPendingDesc} {
		ch <- d
	}
}

func (c webhookCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.d.Stats()
	ch <- prometheus.MustNewConstMetric(webhookDeliveriesDesc, prometheus.CounterValue, float64(st.Delivered), "delivered")
	ch <- prometheus.MustNewConstMetric(webhookDeliveriesDesc, prometheus.CounterValue, float64(st.Failed), "failed")
	ch <- prometheus.MustNewConstMetric(webhookRetriesDesc, prometheus.CounterValue, float64(st.Retries))
	ch <- prometheus.MustNewConstMetric(webhookDroppedDesc, prometheus.CounterValue, float64(st.Dropped))
	ch <- prometheus.MustNewConstMetric(webhookPendingDesc, prometheus.GaugeValue, float64(st.Pending))
}

// ListWebhooksByEvent gives the dispatcher the webhooks of ev with their
// secrets opened; one whose secret cannot be opened is skipped and logged,
// never delivered unsigned.
func (h *hooks) ListWebhooksByEvent(ctx context.Context, ev webhook.Event) ([]webhook.Webhook, error) {
	ws, err := h.store.ListWebhooksByEvent(ctx, ev)
	if err != nil {
		return nil, err
	}
	out := ws[:0]
	for _, w := range ws {
		plain, err := h.cipher.Open(w.Secret)
		if err != nil {
			h.logger.Error("skipping webhook", "webhook", w.ID, "event", ev.String(), "error", err)
			continue
		}
		w.Secret = plain
		out = append(out, w)
	}
	return out, nil
}

// WebhookForDelivery gives the dispatcher a queued delivery's webhook
// with its secret opened; nil when it was deleted. A secret this replica
// cannot open is an error: the delivery waits for one that can.
func (h *hooks) WebhookForDelivery(ctx context.Context, id string) (*webhook.Webhook, error) {
	w, err := h.store.GetWebhook(ctx, id)
	if errors.Is(err, tracking.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if w.Secret, err = h.cipher.Open(w.Secret); err != nil {
		return nil, fmt.Errorf("opening the secret of webhook %s: %w", id, err)
	}
	return w, nil
}

// close stops the webhook dispatcher, waiting for queued deliveries until
// ctx ends.
func (h *hooks) close(ctx context.Context) error {
	if h == nil {
		return nil
	}
	return h.d.Close(ctx)
}

// errNoWebhooks answers the webhook routes on a store without webhooks.
var errNoWebhooks = errors.New("this server's store does not keep webhooks")

func (s *Server) webhookStore() (webhookStore, error) {
	if s.hooks == nil {
		return nil, &routeError{501, errNoWebhooks.Error()}
	}
	return s.hooks.store, nil
}

// webhookRequestError turns the webhook package's rule violations into the
// client's 400 INVALID_PARAMETER_VALUE.
func webhookRequestError(err error) error {
	var ie *webhook.InvalidError
	if errors.As(err, &ie) {
		return invalidParam("%s", ie.Msg)
	}
	return err
}

// parseWebhookEvents reads the events of a create or update request.
func parseWebhookEvents(evs []mlflowrest.WebhookEvent) ([]webhook.Event, error) {
	out := make([]webhook.Event, 0, len(evs))
	for _, e := range evs {
		ev, err := webhook.ParseEvent(e.Entity, e.Action)
		if err != nil {
			return nil, webhookRequestError(err)
		}
		out = append(out, ev)
	}
	return out, nil
}

func toWebhook(w *webhook.Webhook) mlflowrest.Webhook {
	out := mlflowrest.Webhook{WebhookID: w.ID, Name: w.Name, Description: w.Description, URL: w.URL,
		Status: string(w.Status), CreationTimestamp: w.CreationTimestamp, LastUpdatedTimestamp: w.LastUpdatedTimestamp,
		Events: make([]mlflowrest.WebhookEvent, len(w.Events))}
	for i, e := range w.Events {
		out.Events[i] = mlflowrest.WebhookEvent{Entity: e.ProtoEntity(), Action: e.ProtoAction()}
	}
	return out
}

func (s *Server) createWebhook(c *gin.Context) (any, error) {
	ws, err := s.webhookStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.CreateWebhookRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	if err := webhook.ValidateName(req.Name); err != nil {
		return nil, webhookRequestError(err)
	}
	if err := s.hooks.policy.ValidateURL(req.URL); err != nil {
		return nil, webhookRequestError(err)
	}
	evs, err := parseWebhookEvents(req.Events)
	if err != nil {
		return nil, err
	}
	w := webhook.Webhook{Name: req.Name, Description: req.Description, URL: req.URL, Events: evs, Status: webhook.Active}
	if req.Status != "" {
		if w.Status, err = webhook.ParseStatus(req.Status); err != nil {
			return nil, webhookRequestError(err)
		}
	}
	if len(req.Secret) > webhook.MaxSecretLength {
		return nil, invalidParam("Webhook secret exceeds the maximum length of %d characters.", webhook.MaxSecretLength)
	}
	w.Secret = s.hooks.cipher.Seal(req.Secret)
	out, err := ws.CreateWebhook(c.Request.Context(), w)
	if err != nil {
		return nil, webhookRequestError(err)
	}
	return mlflowrest.WebhookResponse{Webhook: toWebhook(out)}, nil
}

const (
	defaultWebhookResults = 100
	maxWebhookResults     = 1000
)

func (s *Server) listWebhooks(c *gin.Context) (any, error) {
	ws, err := s.webhookStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.ListWebhooksRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	n, err := maxResults(req.MaxResults, defaultWebhookResults, maxWebhookResults)
	if err != nil {
		return nil, err
	}
	page, next, err := ws.ListWebhooks(c.Request.Context(), n, req.PageToken)
	if err != nil {
		return nil, err
	}
	resp := mlflowrest.ListWebhooksResponse{NextPageToken: next}
	for i := range page {
		resp.Webhooks = append(resp.Webhooks, toWebhook(&page[i]))
	}
	return resp, nil
}

func (s *Server) getWebhook(c *gin.Context) (any, error) {
	ws, err := s.webhookStore()
	if err != nil {
		return nil, err
	}
	w, err := ws.GetWebhook(c.Request.Context(), c.Param("webhook_id"))
	if err != nil {
		return nil, err
	}
	return mlflowrest.WebhookResponse{Webhook: toWebhook(w)}, nil
}

func (s *Server) updateWebhook(c *gin.Context) (any, error) {
	ws, err := s.webhookStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.UpdateWebhookRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	u := webhook.Update{Name: req.Name, Description: req.Description, URL: req.URL}
	if req.URL != nil {
		if err := s.hooks.policy.ValidateURL(*req.URL); err != nil {
			return nil, webhookRequestError(err)
		}
	}
	if len(req.Events) > 0 {
		if u.Events, err = parseWebhookEvents(req.Events); err != nil {
			return nil, err
		}
	}
	if req.Status != nil {
		st, err := webhook.ParseStatus(*req.Status)
		if err != nil {
			return nil, webhookRequestError(err)
		}
		u.Status = &st
	}
	if req.Secret != nil {
		if len(*req.Secret) > webhook.MaxSecretLength {
			return nil, invalidParam("Webhook secret exceeds the maximum length of %d characters.", webhook.MaxSecretLength)
		}
		sealed := s.hooks.cipher.Seal(*req.Secret)
		u.Secret = &sealed
	}
	w, err := ws.UpdateWebhook(c.Request.Context(), c.Param("webhook_id"), u)
	if err != nil {
		return nil, webhookRequestError(err)
	}
	return mlflowrest.WebhookResponse{Webhook: toWebhook(w)}, nil
}

func (s *Server) deleteWebhook(c *gin.Context) (any, error) {
	ws, err := s.webhookStore()
	if err != nil {
		return nil, err
	}
	return nil, ws.DeleteWebhook(c.Request.Context(), c.Param("webhook_id"))
}

// testWebhook sends the example payload of one of the webhook's events (or
// the event asked for) and answers how the receiver took it: 200 either
// way, as MLflow does.
func (s *Server) testWebhook(c *gin.Context) (any, error) {
	ws, err := s.webhookStore()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.TestWebhookRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	w, err := ws.GetWebhook(c.Request.Context(), c.Param("webhook_id"))
	if err != nil {
		return nil, err
	}
	var ev webhook.Event
	if req.Event != nil {
		if ev, err = webhook.ParseEvent(req.Event.Entity, req.Event.Action); err != nil {
			return nil, webhookRequestError(err)
		}
	} else if len(w.Events) > 0 {
		ev = w.Events[0]
	}
	if w.Secret, err = s.hooks.cipher.Open(w.Secret); err != nil {
		return mlflowrest.TestWebhookResponse{Result: mlflowrest.WebhookTestResult{ErrorMessage: "Failed to test webhook: " + err.Error()}}, nil
	}
	r := s.hooks.d.Deliver(c.Request.Context(), *w, ev, webhook.Example(ev))
	res := mlflowrest.WebhookTestResult{Success: r.Success, ResponseStatus: r.Status, ResponseBody: r.Body}
	if r.Err != nil {
		res.ErrorMessage = fmt.Sprintf("Failed to test webhook: %v", r.Err)
	}
	return mlflowrest.TestWebhookResponse{Result: res}, nil
}
