package writeback

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/webhook"
)

// Event is the JSON body POSTed to the webhook when a model version's
// drift status changes.
type Event struct {
	Model          string       `json:"model"`
	Version        string       `json:"version"`
	Status         drift.Status `json:"status"`
	PreviousStatus drift.Status `json:"previous_status"`
	Window         int64        `json:"window"`
	WorstFeature   string       `json:"worst_feature"`
	Time           time.Time    `json:"time"`
}

// notify delivers ev through package webhook: the body is ev's JSON, as
// before, with MLflow's delivery headers (X-MLflow-Delivery-Id,
// X-MLflow-Timestamp, and X-MLflow-Signature when a secret is set),
// retried with backoff on a connection error or a 429/5xx answer (honouring
// Retry-After) within ctx, the writer's per-window timeout. It runs in the
// writer's own goroutine, never in a scoring request.
func (wr *Writer) notify(ctx context.Context, ev Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encoding the webhook event: %w", err)
	}
	h := webhook.Webhook{ID: "drift-webhook", URL: wr.opts.webhook, Secret: wr.opts.webhookSecret, Status: webhook.Active}
	r := wr.hooks.Deliver(ctx, h, webhook.DriftStatusChanged, webhook.RawBody(b))
	if r.Err != nil {
		return fmt.Errorf("posting to the webhook after %d attempts: %w", r.Attempts, r.Err)
	}
	if !r.Success || r.Status/100 != 2 {
		return fmt.Errorf("posting to the webhook after %d attempts: HTTP %d", r.Attempts, r.Status)
	}
	return nil
}
