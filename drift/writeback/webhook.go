package writeback

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/berthml/berth/drift"
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

func (wr *Writer) notify(ctx context.Context, ev Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encoding the webhook event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wr.opts.webhook, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("posting to the webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := wr.opts.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("posting to the webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("posting to the webhook: %s", resp.Status)
	}
	return nil
}
